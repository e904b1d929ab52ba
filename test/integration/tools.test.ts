import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RESEND_WINDOW_MS } from "../../lib/record/resend";
import { createTools } from "../../tools";
import { openBillingTicketInput } from "../../tools/openBillingTicket";
import type { GetEntitlementOutput } from "../../tools/getEntitlement";
import type { ResendInviteOutput } from "../../tools/resendInvite";
import type { OpenBillingTicketOutput } from "../../tools/openBillingTicket";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase, subscriptionEvent, type Purchase } from "../../lib/sandbox/stripe-events";

// The chat's tools against the record in each lifecycle state, built the way the chat route
// builds them: bound to one verified identity.

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

const options = { toolCallId: "call-1", messages: [] };

function toolsFor(identity: string, now?: () => Date) {
  const tools = createTools({ identity, db: stack.db, catalog: stack.catalog, now });
  return {
    getEntitlement: async () => (await tools.getEntitlement.execute!({}, options)) as GetEntitlementOutput,
    resendInvite: async () => (await tools.resendInvite.execute!({}, options)) as ResendInviteOutput,
    openBillingTicket: async (input: { category: "billing" | "access" | "refund" | "cancellation" | "other"; summary: string }) =>
      (await tools.openBillingTicket.execute!(input, options)) as OpenBillingTicketOutput,
  };
}

/** A purchase, applied; then the later events, applied. */
async function bought(extra: (p: Purchase) => object[] = () => [], drain = true) {
  const p = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  if (!drain) return p;
  await stack.drain();
  for (const event of extra(p)) expect((await stack.postStripe(event)).status).toBe(200);
  await stack.drain();
  return p;
}

describe("getEntitlement", () => {
  it("says plainly when there is no record for the identity", async () => {
    expect(await toolsFor("stranger@example.com").getEntitlement()).toMatchObject({ found: false });
  });

  it.each([
    ["active, invite sent", () => [], { status: "active" }, [{ state: "invited" }]],
    ["refunded, access revoked", (p: Purchase) => [invoiceEvent(p, "invoice.paid"), chargeRefunded(p)], { status: "refunded" }, [{ state: "revoked" }]],
    ["past due, access kept", (p: Purchase) => [invoiceEvent(p, "invoice.payment_failed", { created: p.at + 60, invoiceId: "in_f" })], { status: "past_due" }, [{ state: "invited" }]],
    ["canceled at period end", (p: Purchase) => [subscriptionEvent(p, "customer.subscription.updated", { cancelAtPeriodEnd: true, created: p.at + 60 })], { status: "canceled", cancelAtPeriodEnd: true }, [{ state: "invited" }]],
  ])("reads the record: %s", async (_case, extra, entitlement, access) => {
    const p = await bought(extra);
    const view = await toolsFor(p.email).getEntitlement();
    expect(view.found).toBe(true);
    if (!view.found) return;
    expect(view.entitlements).toMatchObject([{ plan: "community_monthly", planName: "Community (monthly)", ...entitlement }]);
    expect(view.access).toMatchObject(access.map((grant) => ({ group: "Community (monthly) space", ...grant })));
    expect(view.latestPayment).not.toBeNull();
    expect(JSON.stringify(view)).not.toMatch(/cus_|sub_|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it("shows access pending with the queued work while the invite is on its way", async () => {
    const p = await bought(() => [], false);
    // Apply the purchase, but not yet the Circle grant.
    await stack.worker.runOnce();
    const view = await toolsFor(p.email).getEntitlement();
    if (!view.found) throw new Error("expected a record");
    expect(view.access).toMatchObject([{ state: "pending", problem: null }]);
    expect(view.pendingWork.map((work) => work.what)).toContain("community access");
  });

  it("explains a failed grant without provider details", async () => {
    stack.circle.fail({ status: 500, times: 1_000 });
    const p = await bought();
    const view = await toolsFor(p.email).getEntitlement();
    if (!view.found) throw new Error("expected a record");
    expect(view.access[0]).toMatchObject({ state: "failed" });
    expect(view.access[0]!.problem).toMatch(/could not be created/);
    expect(view.access[0]!.problem).not.toMatch(/HTTP|500|circle/i);
  });

  it("reads fresh at every call: a refund between two turns shows in the second", async () => {
    const p = await bought((purchase) => [invoiceEvent(purchase, "invoice.paid")]);
    const tools = toolsFor(p.email);
    const before = await tools.getEntitlement();
    await stack.postStripe(chargeRefunded(p));
    await stack.drain();
    const after = await tools.getEntitlement();
    expect(before.found && before.entitlements[0]!.status).toBe("active");
    expect(after.found && after.entitlements[0]!.status).toBe("refunded");
  });
});

describe("resendInvite", () => {
  it("queues a resend for a paying customer whose invite is out, then refuses a second within 15 minutes", async () => {
    const p = await bought();
    let clock = new Date();
    const tools = toolsFor(p.email, () => clock);
    expect(await tools.resendInvite()).toEqual({ result: "queued", groups: 1 });
    await stack.drain();
    // The customer still has not accepted the invitation.
    await stack.db.sql(`UPDATE "AccessGrant" SET state = 'invited'`);
    expect(await tools.resendInvite()).toMatchObject({ result: "already_queued", reason: expect.stringMatching(/15 minutes/) });
    clock = new Date(clock.getTime() + RESEND_WINDOW_MS + 1_000);
    expect(await tools.resendInvite()).toEqual({ result: "queued", groups: 1 });
    // Still one member in the community, however often it is resent.
    await stack.drain();
    expect(stack.circle.memberCount()).toBe(1);
  });

  it("gives one answer to two concurrent asks", async () => {
    const p = await bought();
    const tools = toolsFor(p.email);
    const results = await Promise.all([tools.resendInvite(), tools.resendInvite()]);
    expect(results.map((r) => r.result).sort()).toEqual(["already_queued", "queued"]);
  });

  it.each([
    ["no record", null, "not_eligible"],
    ["a refunded customer", (p: Purchase) => [invoiceEvent(p, "invoice.paid"), chargeRefunded(p)], "not_eligible"],
  ])("refuses %s", async (_case, extra, result) => {
    const identity = extra ? (await bought(extra)).email : "nobody@example.com";
    expect(await toolsFor(identity).resendInvite()).toMatchObject({ result });
  });

  it("reports access that is already active", async () => {
    const p = await bought();
    await stack.db.sql(`UPDATE "AccessGrant" SET state = 'active'`);
    expect(await toolsFor(p.email).resendInvite()).toEqual({ result: "already_active" });
  });
});

describe("openBillingTicket", () => {
  it("opens one ticket per journey and category, and appends repeat asks as notes", async () => {
    const p = await bought();
    const tools = toolsFor(p.email);
    const first = await tools.openBillingTicket({ category: "billing", summary: "I was charged twice" });
    const second = await tools.openBillingTicket({ category: "billing", summary: "Still charged twice, please help" });
    const other = await tools.openBillingTicket({ category: "access", summary: "Cannot log in" });
    expect(first).toMatchObject({ created: true, status: "open" });
    expect(second).toMatchObject({ created: false, reference: first.reference });
    expect(other.reference).not.toBe(first.reference);
    const tickets = await stack.db.sql<{ category: string; notes: number }>(
      `SELECT category, (SELECT count(*)::int FROM "TicketNote" n WHERE n."ticketId" = t.id) AS notes FROM "Ticket" t ORDER BY category`,
    );
    expect(tickets).toEqual([
      { category: "access", notes: 0 },
      { category: "billing", notes: 1 },
    ]);
  });

  it("opens a ticket for an identity with no record (paid with another email)", async () => {
    const tools = toolsFor("other-email@example.com");
    const ticket = await tools.openBillingTicket({ category: "billing", summary: "I paid with my work address" });
    expect(ticket.created).toBe(true);
    expect((await tools.openBillingTicket({ category: "billing", summary: "any news?" })).created).toBe(false);
    const [row] = await stack.db.sql<{ identity: string; customerId: string | null }>(`SELECT identity, "customerId" FROM "Ticket"`);
    expect(row).toEqual({ identity: "other-email@example.com", customerId: null });
  });

  it.each([
    [{ category: "billing", summary: "x" }],
    [{ category: "lawsuit", summary: "a real summary" }],
    [{ category: "billing", summary: "a real summary", customerEmail: "victim@example.com" }],
  ])("rejects model arguments outside its schema: %j", (input) => {
    expect(openBillingTicketInput.safeParse(input).success).toBe(false);
  });
});
