import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getCustomerRecord, findCustomerId } from "../../lib/record/read";
import { recheckCustomer } from "../../lib/record/apply";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import {
  chargeRefunded,
  checkoutCompleted,
  customerUpdated,
  disputeCreated,
  invoiceEvent,
  invoicePaymentPaid,
  newPurchase,
  subscriptionEvent,
  type Purchase,
} from "../../lib/sandbox/stripe-events";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

async function record(email: string) {
  const id = await findCustomerId(stack.db, email);
  if (!id) throw new Error(`no customer ${email}`);
  const rec = await getCustomerRecord(stack.db, id);
  if (!rec) throw new Error("record vanished");
  return rec;
}

async function deliver(...events: object[]) {
  for (const event of events) expect((await stack.postStripe(event)).status).toBe(200);
}

function circleWrites() {
  const posts = stack.circle.requests().filter((r) => r.method === "POST" && r.status !== null && r.status < 300);
  return {
    created: posts.filter((r) => r.path === "/community_members").length,
    added: posts.filter((r) => /^\/access_groups\/\d+\/community_members$/.test(r.path)).length,
  };
}

const countRows = async (table: string) => (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;

describe("purchase", () => {
  it("grants Circle access and adds the active tags once for one signed purchase event", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p));
    await stack.drain();

    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.kit.tagsOf(p.email).sort()).toEqual([stack.ids.activeTag, stack.ids.onboardingTag].sort());
    const rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ plan: "community_monthly", status: "active" }]);
    expect(rec.access).toMatchObject([{ accessGroupId: stack.ids.communityGroup, state: "invited" }]);
    expect(rec.tags.map((tag) => tag.state)).toEqual(["applied", "applied"]);
    expect(rec.journeys).toMatchObject([{ kind: "purchase", key: p.subscriptionId }]);
    expect(rec.jobs.dead ?? 0).toBe(0);
  });

  it("changes nothing when the same event is delivered three times", async () => {
    const p = newPurchase();
    const event = checkoutCompleted(p);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await (await stack.postStripe(event)).json());
    expect(answers.map((answer) => answer.duplicate)).toEqual([false, true, true]);
    await stack.drain();

    expect(await countRows("WebhookEvent")).toBe(1);
    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.kit.tagsOf(p.email)).toHaveLength(2);
    expect(circleWrites()).toEqual({ created: 1, added: 1 });
    const tagCalls = stack.kit.requests().filter((r) => r.method === "POST" && r.path.startsWith("/v4/tags/"));
    expect(tagCalls).toHaveLength(2);
  });

  it("grants once when the purchase's events arrive concurrently, duplicates included", async () => {
    const p = newPurchase();
    const events = [checkoutCompleted(p), subscriptionEvent(p, "customer.subscription.created"), invoiceEvent(p, "invoice.paid")];
    const deliveries = [...events, ...events, ...events].map((event) => stack.postStripe(event));
    const statuses = (await Promise.all(deliveries)).map((response) => response.status);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // Two workers racing over the same queue.
    const second = stack.worker;
    await Promise.all([stack.drain(), second.runOnce()]);
    await stack.drain();

    expect(await countRows("WebhookEvent")).toBe(3);
    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(circleWrites()).toEqual({ created: 1, added: 1 });
    expect(stack.kit.requests().filter((r) => r.method === "POST" && r.path.startsWith("/v4/tags/"))).toHaveLength(2);
    const rec = await record(p.email);
    expect(rec.entitlements).toHaveLength(1);
    expect(rec.entitlements[0]).toMatchObject({ status: "active", plan: "community_monthly" });
  });
});

describe("Circle invitations", () => {
  it.each([
    ["already a member who joined Circle", (email: string) => stack.circle.addMember(email), "active"],
    ["invited to Circle before and never joined", (email: string) => stack.circle.inviteMember(email), "invited"],
    ["new to Circle", () => undefined, "invited"],
  ])("grants access to a buyer %s, and records it as %s", async (_case, before, state) => {
    const p = newPurchase();
    before(p.email);
    await deliver(checkoutCompleted(p));
    await stack.drain();
    expect((await record(p.email)).access).toMatchObject([{ accessGroupId: stack.ids.communityGroup, state }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.circle.memberCount()).toBe(1);
  });

  it("records a re-granted member as active once they have accepted the invitation", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"));
    await stack.drain();
    expect((await record(p.email)).access).toMatchObject([{ state: "invited" }]);
    stack.circle.acceptInvitation(p.email);
    await deliver(chargeRefunded(p));
    await stack.drain();
    const again = newPurchase({ customerId: p.customerId, email: p.email, at: p.at + 120 });
    await deliver(checkoutCompleted(again));
    await stack.drain();
    expect((await record(p.email)).access).toMatchObject([{ state: "active" }]);
    expect(stack.circle.memberCount()).toBe(1);
  });
});

describe("refund and dispute", () => {
  it("revokes access at once after a refund and suppresses promotional tags", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"));
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);

    await deliver(chargeRefunded(p));
    await stack.drain();

    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect(stack.kit.tagsOf(p.email).sort()).toEqual([stack.ids.onboardingTag, stack.ids.refundedTag].sort());
    const rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ status: "refunded" }]);
    expect(rec.access).toMatchObject([{ state: "revoked" }]);
    expect(rec.tags.find((tag) => tag.tag === stack.ids.promoTag)).toMatchObject({ state: "removed" });
    expect(rec.journeys.map((journey) => journey.kind).sort()).toEqual(["purchase", "refund"]);
  });

  it("refunds the purchase the refunded payment paid for, linked through invoice_payment.paid", async () => {
    const sub = newPurchase({ at: Math.floor(Date.now() / 1000) - 20 * 86400 });
    const course = newPurchase({ email: sub.email, customerId: sub.customerId, priceId: "price_demo_masterclass", at: sub.at + 10 * 86400 });
    await deliver(checkoutCompleted(sub), invoiceEvent(sub, "invoice.paid"), invoicePaymentPaid(sub));
    await deliver(checkoutCompleted(course), invoiceEvent(course, "invoice.paid"), invoicePaymentPaid(course));
    await stack.drain();
    await deliver(chargeRefunded(sub, { created: course.at + 86400 }));
    await stack.drain();
    const rec = await record(sub.email);
    expect(rec.entitlements.map((e) => [e.plan, e.status]).sort()).toEqual([
      ["community_monthly", "refunded"],
      ["masterclass", "active"],
    ]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect(stack.circle.membersOf(stack.ids.masterclassGroup)).toEqual([sub.email]);
  });

  it("keeps access after a partial refund", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"), chargeRefunded(p, { partial: true }));
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect((await record(p.email)).entitlements).toMatchObject([{ status: "active" }]);
  });

  it("revokes access when a charge is disputed", async () => {
    const p = newPurchase();
    // A dispute names only its charge and payment: the invoice payment links them to the customer.
    await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"), invoicePaymentPaid(p));
    await stack.drain();
    await deliver(disputeCreated(p));
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect((await record(p.email)).entitlements).toMatchObject([{ status: "refunded" }]);
  });
});

describe("delivery order", () => {
  function history(p: Purchase) {
    return [
      checkoutCompleted(p),
      subscriptionEvent(p, "customer.subscription.created"),
      invoiceEvent(p, "invoice.paid"),
      subscriptionEvent(p, "customer.subscription.updated", { cancelAtPeriodEnd: true, created: p.at + 100 }),
      chargeRefunded(p, { created: p.at + 200 }),
    ];
  }

  // The state that matters to the customer. How it got there may differ: delivered in
  // order, the customer held access for a while (and got the once-only onboarding tag);
  // delivered refund-first, access was never granted at all.
  async function finalState(p: Purchase) {
    const rec = await record(p.email);
    const onboarding = stack.ids.onboardingTag;
    return {
      entitlements: rec.entitlements.map((e) => ({ plan: e.plan, status: e.status, cancelAtPeriodEnd: e.cancelAtPeriodEnd, accessUntil: e.accessUntil })),
      accessHeld: rec.access.filter((a) => ["pending", "invited", "active"].includes(a.state)).map((a) => a.accessGroupId),
      tagsHeld: rec.tags.filter((t) => t.tag !== onboarding && ["pending_add", "applied"].includes(t.state)).map((t) => t.tag),
      journeys: rec.journeys.map((j) => [j.kind, j.key, j.startedAt, j.endedAt]).sort(),
      circle: stack.circle.membersOf(stack.ids.communityGroup).includes(p.email),
      kit: stack.kit.tagsOf(p.email).filter((tag) => tag !== onboarding).sort(),
      pendingEvents: await countPending(rec.customer.id),
    };
  }

  const countPending = async (customerId: string) =>
    (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "WebhookEvent" WHERE "customerId" = $1 AND outcome <> 'applied'`, [customerId]))[0]!.n;

  it("ends in the same state whatever order the events arrive in", async () => {
    const at = Math.floor(Date.now() / 1000) - 3600;
    const inOrder = newPurchase({ at });
    const reversed = newPurchase({ at });
    const shuffled = newPurchase({ at });
    for (const event of history(inOrder)) {
      await deliver(event);
      await stack.drain();
    }
    for (const event of history(reversed).reverse()) {
      await deliver(event);
      await stack.drain();
    }
    const mixed = history(shuffled);
    for (const index of [3, 0, 4, 2, 1]) {
      await deliver(mixed[index]!);
      await stack.drain();
    }
    const expected = await finalState(inOrder);
    expect(expected.entitlements).toMatchObject([{ plan: "community_monthly", status: "refunded", cancelAtPeriodEnd: true }]);
    expect(expected.circle).toBe(false);
    expect(expected.pendingEvents).toBe(0);
    const withoutKeys = (state: Awaited<ReturnType<typeof finalState>>) => ({ ...state, journeys: state.journeys.map((j) => [j[0], j[2], j[3]]) });
    expect(withoutKeys(await finalState(reversed))).toEqual(withoutKeys(expected));
    expect(withoutKeys(await finalState(shuffled))).toEqual(withoutKeys(expected));
  });

  it("never lets an older subscription snapshot overwrite a newer one", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p));
    await deliver(subscriptionEvent(p, "customer.subscription.updated", { status: "active", cancelAtPeriodEnd: true, created: p.at + 500 }));
    await deliver(subscriptionEvent(p, "customer.subscription.updated", { status: "active", cancelAtPeriodEnd: false, created: p.at + 100 }));
    await stack.drain();
    expect((await record(p.email)).entitlements).toMatchObject([{ status: "canceled", cancelAtPeriodEnd: true }]);
  });
});

describe("identity", () => {
  it("follows an email change at Stripe without splitting the customer", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p));
    await stack.drain();
    const newEmail = `renamed-${p.email}`;
    await deliver(customerUpdated(p, newEmail));
    await stack.drain();
    // A later event carries only the new email and the same Stripe customer.
    await deliver(invoiceEvent({ ...p, email: newEmail }, "invoice.paid", { created: p.at + 3600, invoiceId: "in_renewal_1" }));
    await stack.drain();

    expect(await countRows("Customer")).toBe(1);
    const rec = await record(newEmail);
    expect(rec.customer.email).toBe(newEmail);
    expect(await findCustomerId(stack.db, p.email)).toBeNull();
    expect(stack.kit.findSubscriber(newEmail)).toBeDefined();
    expect(stack.kit.findSubscriber(p.email)).toBeUndefined();
    expect(stack.kit.subscriberCount()).toBe(1);
  });

  it("matches a customer by Stripe id before email, and by normalized email otherwise", async () => {
    const p = newPurchase({ email: "Mixed.Case@Example.com" });
    await deliver(checkoutCompleted(p));
    await stack.drain();
    expect(await findCustomerId(stack.db, "mixed.case@example.com")).not.toBeNull();
    const second = newPurchase({ email: "mixed.case@example.com ", priceId: "price_demo_masterclass" });
    await deliver(checkoutCompleted(second));
    await stack.drain();
    expect(await countRows("Customer")).toBe(1);
    expect((await record("mixed.case@example.com")).entitlements).toHaveLength(2);
  });
});

describe("time-based transitions", () => {
  it("keeps access through the grace window, then revokes and opens one billing ticket", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"));
    await stack.drain();
    await deliver(invoiceEvent(p, "invoice.payment_failed", { created: p.at + 1000, invoiceId: "in_failed_1" }));
    await stack.drain();
    let rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ status: "past_due" }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.kit.tagsOf(p.email)).toContain(stack.ids.pastDueTag);
    expect(rec.tickets).toHaveLength(0);

    const afterGrace = new Date((p.at + 1000 + 8 * 86400) * 1000);
    await recheckCustomer(stack.db, stack.catalog, rec.customer.id, afterGrace);
    await recheckCustomer(stack.db, stack.catalog, rec.customer.id, afterGrace);
    await stack.drain();
    rec = await record(p.email);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect(rec.tickets).toMatchObject([{ category: "billing", source: "system", status: "open" }]);
    const failureJourney = rec.journeys.find((journey) => journey.kind === "payment_failure");
    expect(rec.tickets[0]!.journeyId).toBe(failureJourney!.id);
  });

  it("restores the customer when a failed card is retried successfully", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.payment_failed", { created: p.at + 1000, invoiceId: "in_f" }));
    await deliver(invoiceEvent(p, "invoice.paid", { created: p.at + 2000, invoiceId: "in_f" }));
    await stack.drain();
    const rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ status: "active" }]);
    expect(rec.journeys.find((j) => j.kind === "payment_failure")?.endedAt).not.toBeNull();
    expect(stack.kit.tagsOf(p.email)).not.toContain(stack.ids.pastDueTag);
  });

  it("keeps access until the end of the period after a cancellation, then revokes", async () => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p), subscriptionEvent(p, "customer.subscription.updated", { cancelAtPeriodEnd: true, created: p.at + 10 }));
    await stack.drain();
    let rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ status: "canceled" }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.kit.tagsOf(p.email)).toContain(stack.ids.canceledTag);

    await recheckCustomer(stack.db, stack.catalog, rec.customer.id, new Date((p.periodEnd + 1) * 1000));
    await stack.drain();
    rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ status: "expired" }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect(stack.kit.tagsOf(p.email)).not.toContain(stack.ids.activeTag);
  });
});
