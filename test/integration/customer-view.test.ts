import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getCustomerView, readCircleLive, searchCustomers } from "../../lib/admin/customer-view";
import { circleLiveRoute, customerViewRoute, searchRoute, type CircleLiveRouteDeps } from "../../lib/admin/views-api";
import { parseEnv } from "../../lib/config";
import { createCircleClient } from "../../lib/integrations/circle";
import { CIRCLE_BUDGET, createRequestBudget } from "../../lib/jobs/budget";
import { findCustomerId } from "../../lib/record/read";
import { ticketReference } from "../../lib/record/entitlement-view";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, invoicePaymentPaid, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";
import { openOrReuseTicket } from "../../lib/support/tickets";

// The console's customer view on a customer seeded through the real spine (signed webhooks, the
// worker, the fake Circle and Kit): every system side by side, planted mismatches reported, the
// timeline and the live Circle read; and search.

const ADMIN_TOKEN = "admin-token-for-the-view-tests-0123";

let stack: Stack;
let deps: CircleLiveRouteDeps;
beforeEach(async () => {
  stack = await startStack();
  const { url } = await stack.circle.start();
  const budget = createRequestBudget(stack.db, "circle:test", CIRCLE_BUDGET);
  deps = {
    env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }),
    db: stack.db,
    catalog: stack.catalog,
    sessionSecret: "session-secret-for-the-view-tests-0123456789",
    circle: createCircleClient({ baseUrl: url, token: FAKE_CIRCLE_TOKEN, timeoutMs: 300, beforeRequest: budget.take }),
  };
});
afterEach(async () => {
  await stack.stop();
});

const get = (path: string, token: string | null = ADMIN_TOKEN) => new Request(`http://test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

async function deliver(...events: object[]) {
  for (const event of events) expect((await stack.postStripe(event)).status).toBe(200);
}

async function paidCustomer(overrides: Partial<Purchase> = {}) {
  const p = newPurchase(overrides);
  await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"), invoicePaymentPaid(p));
  await stack.drain();
  const id = await findCustomerId(stack.db, p.email);
  if (!id) throw new Error("no customer");
  return { p, id };
}

const view = async (id: string) => (await getCustomerView(stack.db, stack.catalog, id))!;

describe("customer view", () => {
  it("shows Stripe, the record, Circle, Kit and support side by side, with the timeline", async () => {
    const { p, id } = await paidCustomer({ name: "Grace Hopper" });
    // A chat conversation that opened a billing ticket, asked twice (one deduplicated repeat).
    const conversationId = crypto.randomUUID();
    await stack.db.sql(`INSERT INTO "Conversation" (id, identity, "customerId", "updatedAt") VALUES ($1, $2, $3, now())`, [conversationId, p.email, id]);
    await stack.db.sql(`INSERT INTO "Message" (id, "conversationId", role, parts) VALUES ($1, $2, 'user', '[{"type":"text","text":"charged twice"}]'::jsonb)`, [
      crypto.randomUUID(),
      conversationId,
    ]);
    const ticket = await openOrReuseTicket(stack.db, { customerId: id, identity: p.email, category: "billing", summary: "charged twice", source: "chat", conversationId });
    await openOrReuseTicket(stack.db, { customerId: id, identity: p.email, category: "billing", summary: "still charged twice", source: "chat", conversationId });

    const response = await customerViewRoute(get(`/api/admin/customers/${id}`), deps, id);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.customer).toMatchObject({ id, email: p.email, name: "Grace Hopper", aliases: [], mergedInto: null, mergedFrom: [] });
    expect(body.stripe).toMatchObject({
      customerIds: [p.customerId],
      plans: [{ plan: "community_monthly", planName: "Community (monthly)", status: "active", sourceId: p.subscriptionId, cancelAtPeriodEnd: false }],
      paymentStatus: "paid",
      lastPayment: { plan: "community_monthly", status: "paid" },
      lastEvent: { type: expect.stringMatching(/^(checkout\.session\.completed|invoice\.paid|invoice_payment\.paid)$/) },
    });
    expect(body.record).toMatchObject({ status: "active", hasAccess: true, plans: ["community_monthly"], graceUntil: null });
    expect(body.record.entitlements).toMatchObject([{ plan: "community_monthly", status: "active", hasAccess: true }]);
    expect(body.circle.memberIds).toHaveLength(1);
    expect(body.circle.groups).toEqual([
      {
        accessGroupId: stack.ids.communityGroup,
        plans: ["community_monthly"],
        state: "invited",
        circleMemberId: body.circle.memberIds[0],
        lastError: null,
        updatedAt: expect.any(String),
        override: null,
      },
    ]);
    expect(body.kit.emailStatus).toBe("active");
    expect(body.kit.subscriberIds).toHaveLength(1);
    expect(body.kit.tags.map((tag: { tagId: number; state: string; roles: string[] }) => [tag.tagId, tag.state, tag.roles])).toEqual(
      [
        [stack.ids.activeTag, "applied", ["community_monthly:active", "masterclass:active"]],
        [stack.ids.onboardingTag, "applied", ["community_monthly:onboarding"]],
      ].sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    expect(body.support.tickets).toEqual([
      expect.objectContaining({ id: ticket.ticketId, reference: ticketReference(ticket.ticketId), status: "open", category: "billing", source: "chat", asks: 2, assignee: null }),
    ]);
    expect(body.support.conversations).toEqual([{ id: conversationId, startedAt: expect.any(String), lastMessageAt: expect.any(String), messageCount: 1 }]);
    expect(body.mismatches).toEqual([]);
    expect(body.audit.map((entry: { action: string }) => entry.action)).toEqual(["entitlement.changed"]);

    // The timeline: the purchase journey, its three events (in provider time order) and the jobs.
    const [purchase] = body.timeline.journeys;
    expect(purchase).toMatchObject({ kind: "purchase", key: p.subscriptionId });
    const entries = body.timeline.entries as Array<{ type: string; eventType?: string; kind?: string; journeyIds?: string[]; outcome?: string; status?: string }>;
    expect(entries[0]).toMatchObject({ type: "journey_started", journeyId: purchase.id });
    const events = entries.filter((entry) => entry.type === "event");
    expect(events.map((event) => event.eventType).sort()).toEqual(["checkout.session.completed", "invoice.paid", "invoice_payment.paid"]);
    expect(events.every((event) => event.outcome === "applied")).toBe(true);
    expect(events.find((event) => event.eventType === "checkout.session.completed")!.journeyIds).toEqual([purchase.id]);
    const jobs = entries.filter((entry) => entry.type === "job");
    expect(jobs.filter((job) => job.kind === "circle.grant")).toMatchObject([{ status: "succeeded" }]);
    const applies = jobs.filter((job) => job.kind === "lifecycle.apply");
    expect(applies).toHaveLength(3);
    expect(applies.every((job) => job.status === "succeeded")).toBe(true);
    // The checkout's and the invoice's (it names the subscription); the invoice payment names only its invoice.
    expect(applies.filter((job) => job.journeyIds!.includes(purchase.id))).toHaveLength(2);
    const times = entries.map((entry) => Date.parse((entry as unknown as { at: string }).at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("reports a paid customer whose grant row was set failed by hand", async () => {
    const { id } = await paidCustomer();
    await stack.db.sql(`UPDATE "AccessGrant" SET state = 'failed', "lastError" = 'circle addToAccessGroup: 500' WHERE "customerId" = $1`, [id]);
    expect((await view(id)).mismatches).toEqual([
      {
        kind: "paid_no_access",
        accessGroupId: stack.ids.communityGroup,
        tagId: null,
        explanation: "the customer's plan grants this group, but granting access in Circle failed: circle addToAccessGroup: 500",
        fix: "replay the dead grant job once Circle is fine, or resend the invite",
      },
    ]);
  });

  it("reports a paid tag removed in Kit by hand, as a Kit webhook told us, and an unsubscribe with paid tags", async () => {
    const { p, id } = await paidCustomer();
    const subscriber = stack.kit.findSubscriber(p.email)!;
    const kitEvent = (type: string, extra: Record<string, unknown> = {}) => ({
      id: crypto.randomUUID(),
      type,
      created: new Date().toISOString(),
      data: { subscriber: { id: subscriber.id, email_address: p.email, state: "active" }, ...extra },
    });
    expect((await stack.postKit({ events: [kitEvent("subscriber.tag_removed", { tag: { id: stack.ids.activeTag } })] })).status).toBe(200);
    await stack.drain();
    const afterRemoval = await view(id);
    expect(afterRemoval.kit.tags.find((tag) => tag.tagId === stack.ids.activeTag)).toMatchObject({ state: "applied", presentInKit: false });
    expect(afterRemoval.mismatches.map(({ kind, tagId }) => ({ kind, tagId }))).toEqual([{ kind: "tag_missing", tagId: stack.ids.activeTag }]);
    expect(afterRemoval.mismatches[0]!.fix).toBe("add the tag again");

    expect((await stack.postKit({ events: [kitEvent("subscriber.tag_added", { tag: { id: stack.ids.activeTag } }), kitEvent("subscriber.unsubscribed")] })).status).toBe(200);
    await stack.drain();
    const afterUnsubscribe = await view(id);
    expect(afterUnsubscribe.kit.emailStatus).toBe("unsubscribed");
    expect(afterUnsubscribe.mismatches.map(({ kind, tagId }) => ({ kind, tagId }))).toEqual([{ kind: "unsubscribed_tagged", tagId: stack.ids.activeTag }]);
  });

  it("says a merged record was merged, and where to", async () => {
    const { id: target, p } = await paidCustomer();
    const { id: merged, p: typo } = await paidCustomer();
    await stack.db.sql(`UPDATE "Customer" SET "mergedIntoId" = $1 WHERE id = $2`, [target, merged]);
    expect((await view(merged)).customer.mergedInto).toEqual({ id: target, email: p.email });
    expect((await view(target)).customer.mergedFrom).toEqual([{ id: merged, email: typo.email }]);
  });

  it("answers 404 for an unknown customer, 400 for a bad id or query, 401 without the token", async () => {
    const unknown = crypto.randomUUID();
    expect((await customerViewRoute(get(`/api/admin/customers/${unknown}`), deps, unknown)).status).toBe(404);
    const bad = await customerViewRoute(get("/api/admin/customers/nope"), deps, "nope");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "the customer id must be a UUID" });
    expect((await customerViewRoute(get(`/api/admin/customers/${unknown}?x=1`), deps, unknown)).status).toBe(400);
    expect((await customerViewRoute(get(`/api/admin/customers/${unknown}`, null), deps, unknown)).status).toBe(401);
  });
});

describe("search", () => {
  it("finds customers by email (exact, prefix, linked), name, and Stripe id; at most 20", async () => {
    const { p: ada, id: adaId } = await paidCustomer({ email: "ada.lovelace@example.com", name: "Ada Lovelace" });
    const { id: graceId } = await paidCustomer({ email: "grace@example.org", name: "Grace Hopper" });
    await stack.db.sql(`INSERT INTO "EmailAlias" (email, "customerId") VALUES ('ada@typo.example', $1)`, [adaId]);
    const ids = async (q: string) => (await searchCustomers(stack.db, q)).map((hit) => [hit.id, hit.matched]);

    expect(await ids("ADA.lovelace@example.com")).toEqual([[adaId, "email"]]);
    expect(await ids("ada.")).toEqual([[adaId, "email"]]);
    expect(await ids("ada@typo")).toEqual([[adaId, "alias"]]);
    expect(await ids("hopper")).toEqual([[graceId, "name"]]);
    expect(await ids(ada.customerId)).toEqual([[adaId, "stripe"]]);
    expect(await ids(ada.subscriptionId)).toEqual([[adaId, "stripe"]]);
    expect(await ids(adaId)).toEqual([[adaId, "id"]]);
    // The wildcard characters of LIKE match only themselves.
    expect(await ids("%")).toEqual([]);
    expect(await ids("example")).toEqual([]);
    const [hit] = await searchCustomers(stack.db, "grace@example.org");
    expect(hit).toEqual({ id: graceId, email: "grace@example.org", name: "Grace Hopper", matched: "email", mergedIntoId: null, summary: { status: "active", hasAccess: true, plans: ["community_monthly"] } });

    for (let i = 0; i < 21; i++) await stack.db.sql(`INSERT INTO "Customer" (id, email, name, "updatedAt") VALUES (gen_random_uuid(), $1, 'Many', now())`, [`many-${i}@example.net`]);
    expect(await searchCustomers(stack.db, "many")).toHaveLength(20);

    const response = await searchRoute(get("/api/admin/search?q=grace%40example.org"), deps);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { customers: Array<{ id: string }> }).customers.map((c) => c.id)).toEqual([graceId]);
    expect((await searchRoute(get("/api/admin/search?q=a"), deps)).status).toBe(400);
    expect((await searchRoute(get("/api/admin/search"), deps)).status).toBe(400);
    expect((await searchRoute(get("/api/admin/search?q=grace", null), deps)).status).toBe(401);
  });
});

describe("Circle, read live", () => {
  it("reads whether Circle holds the member in each group now, and notices a hand removal", async () => {
    const { p, id } = await paidCustomer();
    const first = await readCircleLive(deps, id);
    expect(first).toMatchObject({ member: { acceptedInvitation: false }, groups: [{ accessGroupId: stack.ids.communityGroup, recorded: "invited", inCircle: true, agrees: true }] });

    stack.circle.removeFromAccessGroupByHand(stack.ids.communityGroup, p.email);
    const response = await circleLiveRoute(get(`/api/admin/customers/${id}/circle`), deps, id);
    expect(response.status).toBe(200);
    expect((await response.json()).groups).toEqual([{ accessGroupId: stack.ids.communityGroup, recorded: "invited", inCircle: false, agrees: false }]);
  });

  it("answers 502 when Circle fails and 503 when the request budget is spent, 404 for an unknown customer", async () => {
    const { id } = await paidCustomer();
    stack.circle.fail({ status: 500, times: 1 });
    const failed = await circleLiveRoute(get(`/api/admin/customers/${id}/circle`), deps, id);
    expect(failed.status).toBe(502);
    expect((await failed.json()).error).toMatch(/^could not read Circle: /);

    const spent = createRequestBudget(stack.db, "circle:spent", { limit: 0, windowMs: 60_000 });
    const { url } = await stack.circle.start();
    const starved = { ...deps, circle: createCircleClient({ baseUrl: url, token: FAKE_CIRCLE_TOKEN, beforeRequest: spent.take }) };
    const refused = await circleLiveRoute(get(`/api/admin/customers/${id}/circle`), starved, id);
    expect(refused.status).toBe(503);
    expect((await refused.json()).error).toMatch(/^Circle's request budget is spent for now; try again in \d+ s$/);

    const unknown = crypto.randomUUID();
    expect((await circleLiveRoute(get(`/api/admin/customers/${unknown}/circle`), deps, unknown)).status).toBe(404);
  });
});
