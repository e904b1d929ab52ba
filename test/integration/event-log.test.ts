import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replayJob } from "../../lib/admin/api";
import { getCustomerView } from "../../lib/admin/customer-view";
import { listEvents } from "../../lib/admin/events";
import { discardJobRoute, eventsRoute, replayEventRoute, type ViewDeps } from "../../lib/admin/views-api";
import { parseEnv } from "../../lib/config";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase, stripeEvent } from "../../lib/sandbox/stripe-events";

// The webhook event log (filters, pages, no payloads), the replay of one stored event through
// the apply path, and the dead letters: replay after the provider recovers, and discard.

const ADMIN_TOKEN = "admin-token-for-the-event-log-tests-0123";

let stack: Stack;
let deps: ViewDeps;
beforeEach(async () => {
  stack = await startStack();
  deps = { env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }), db: stack.db, catalog: stack.catalog, sessionSecret: "session-secret-for-the-event-log-tests-0123456789" };
});
afterEach(async () => {
  await stack.stop();
});

const get = (path: string, token: string | null = ADMIN_TOKEN) => new Request(`http://test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (path: string, body: unknown, token: string | null = ADMIN_TOKEN) =>
  new Request(`http://test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function deliver(...events: object[]) {
  for (const event of events) expect((await stack.postStripe(event)).status).toBe(200);
}

const kitEvent = (type: string, email: string, extra: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  type,
  created: new Date().toISOString(),
  data: { subscriber: { id: 777, email_address: email, state: "active" }, ...extra },
});

const audits = (action: string) =>
  stack.db.sql<{ actor: string; reason: string; before: Record<string, unknown>; after: Record<string, unknown>; correlationId: string; customerId: string | null }>(
    `SELECT actor, reason, before, after, "correlationId", "customerId" FROM "AuditLog" WHERE action = $1 ORDER BY "createdAt"`,
    [action],
  );
const jobCount = async () => (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job"`))[0]!.n;
const eventRow = async (id: string) =>
  (await stack.db.sql<{ outcome: string; customerId: string | null; processedAt: Date | null }>(`SELECT outcome::text, "customerId", "processedAt" FROM "WebhookEvent" WHERE id = $1`, [id]))[0]!;
const jobRow = async (id: string) => (await stack.db.sql<{ status: string; attempts: number }>(`SELECT status::text, attempts FROM "Job" WHERE id = $1`, [id]))[0];

describe("event log", () => {
  it("lists events newest first, filtered by customer, email, type, provider and outcome, in pages, without payloads", async () => {
    const a = newPurchase();
    const b = newPurchase();
    await deliver(checkoutCompleted(a), invoiceEvent(a, "invoice.paid"), checkoutCompleted(b), invoiceEvent(b, "invoice.paid"));
    await deliver(stripeEvent({ type: "customer.created", created: a.at, object: { id: a.customerId, object: "customer", email: a.email } }));
    expect((await stack.postKit({ events: [kitEvent("subscriber.unsubscribed", "newsletter-only@example.com")] })).status).toBe(200);
    await stack.drain();
    const aId = (await findCustomerId(stack.db, a.email))!;
    const bId = (await findCustomerId(stack.db, b.email))!;

    const all = await listEvents(stack.db, { limit: 100 });
    expect(all).toHaveLength(6);
    expect(Object.keys(all[0]!).sort()).toEqual(["customer", "error", "eventId", "id", "outcome", "processedAt", "provider", "providerCreatedAt", "receivedAt", "type"]);
    const order = all.map((event) => [event.receivedAt.getTime(), event.id] as const);
    expect(order).toEqual([...order].sort((x, y) => y[0] - x[0] || (x[1] < y[1] ? 1 : -1)));

    const ofA = await listEvents(stack.db, { customerId: aId, limit: 100 });
    expect(ofA.map((event) => event.type).sort()).toEqual(["checkout.session.completed", "invoice.paid"]);
    expect(ofA.every((event) => event.customer?.id === aId && event.customer.email === a.email && event.outcome === "applied")).toBe(true);
    expect((await listEvents(stack.db, { email: b.email.toUpperCase(), limit: 100 })).map((event) => event.customer?.id)).toEqual([bId, bId]);
    expect((await listEvents(stack.db, { type: "invoice.", limit: 100 })).map((event) => event.customer?.id).sort()).toEqual([aId, bId].sort());
    expect(await listEvents(stack.db, { type: "invoice%", limit: 100 })).toEqual([]);
    expect(await listEvents(stack.db, { provider: "kit", limit: 100 })).toMatchObject([{ type: "subscriber.unsubscribed", outcome: "ignored", customer: null }]);
    expect((await listEvents(stack.db, { outcome: "ignored", limit: 100 })).map((event) => event.type).sort()).toEqual(["customer.created", "subscriber.unsubscribed"]);

    const first = await listEvents(stack.db, { limit: 4 });
    const rest = await listEvents(stack.db, { limit: 4, before: first.at(-1)!.id });
    expect([...first, ...rest].map((event) => event.id)).toEqual(all.map((event) => event.id));

    const response = await eventsRoute(get(`/api/admin/events?email=${encodeURIComponent(a.email)}&type=checkout&limit=1`), deps);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { events: Array<{ type: string; payload?: unknown }>; nextBefore: string | null };
    expect(page.events).toMatchObject([{ type: "checkout.session.completed" }]);
    expect(page.events[0]).not.toHaveProperty("payload");
    expect(page.nextBefore).toBe((page.events[0] as { id?: string }).id);
    for (const query of ["?outcome=exploded", "?limit=0", "?customerId=nope", "?before=nope", "?provider=circle", "?colour=red"]) {
      expect((await eventsRoute(get(`/api/admin/events${query}`), deps)).status).toBe(400);
    }
    expect((await eventsRoute(get("/api/admin/events", null), deps)).status).toBe(401);
  });

  it("replays a stored event through the apply path: a Kit unsubscribe ignored before the purchase applies once the customer exists", async () => {
    const p = newPurchase();
    expect((await stack.postKit({ events: [kitEvent("subscriber.unsubscribed", p.email)] })).status).toBe(200);
    await stack.drain();
    const [kit] = await listEvents(stack.db, { provider: "kit", limit: 1 });
    expect(kit).toMatchObject({ outcome: "ignored", error: "not a customer", customer: null });
    await deliver(checkoutCompleted(p));
    await stack.drain();
    const customerId = (await findCustomerId(stack.db, p.email))!;
    expect((await getCustomerRecord(stack.db, customerId))!.customer.emailStatus).toBe("active");

    const response = await replayEventRoute(post(`/api/admin/events/${kit!.id}/replay`, { reason: "the unsubscribe arrived before the purchase" }), deps, kit!.id);
    expect(response.status).toBe(202);
    const body = (await response.json()) as { replayed: boolean; eventId: string; jobId: string; audit: { action: string; actor: string } };
    expect(body).toMatchObject({ replayed: true, eventId: kit!.id, audit: { action: "event.replay", actor: "api-token" } });
    expect(await eventRow(kit!.id)).toEqual({ outcome: "pending", customerId: null, processedAt: null });
    const [job] = await stack.db.sql<{ kind: string; status: string; dedupeKey: string }>(`SELECT kind, status::text, "dedupeKey" FROM "Job" WHERE id = $1`, [body.jobId]);
    expect(job).toMatchObject({ kind: "lifecycle.apply", status: "queued" });
    expect(job!.dedupeKey).toMatch(new RegExp(`^lifecycle\\.apply:${kit!.id}:replay:[0-9a-f-]{36}$`));
    expect(await audits("event.replay")).toEqual([
      {
        actor: "api-token",
        reason: "the unsubscribe arrived before the purchase",
        before: { outcome: "ignored", error: "not a customer", processedAt: expect.any(String) },
        after: { outcome: "pending", jobId: body.jobId },
        correlationId: kit!.id,
        customerId: null,
      },
    ]);

    // While its job has not run, another replay is refused and writes nothing.
    const jobs = await jobCount();
    const twice = await replayEventRoute(post(`/api/admin/events/${kit!.id}/replay`, { reason: "clicked twice" }), deps, kit!.id);
    expect(twice.status).toBe(409);
    expect(await jobCount()).toBe(jobs);
    expect(await audits("event.replay")).toHaveLength(1);

    await stack.drain();
    expect(await eventRow(kit!.id)).toMatchObject({ outcome: "applied", customerId });
    const record = (await getCustomerRecord(stack.db, customerId))!;
    expect(record.customer.emailStatus).toBe("unsubscribed");

    // Applying is idempotent: a second replay of the applied event changes nothing in the record.
    expect((await replayEventRoute(post(`/api/admin/events/${kit!.id}/replay`, { reason: "once more" }), deps, kit!.id)).status).toBe(202);
    await stack.drain();
    expect(await eventRow(kit!.id)).toMatchObject({ outcome: "applied", customerId });
    const again = (await getCustomerRecord(stack.db, customerId))!;
    expect({ ...again, jobs: null }).toEqual({ ...record, jobs: null });
    expect(again.jobs.succeeded).toBe((record.jobs.succeeded ?? 0) + 1);
    expect(stack.circle.memberCount()).toBe(1);
  });

  it.each([
    ["no token", "ok", { reason: "why not" }, null, 401],
    ["an id that is not a UUID", "nope", { reason: "why not" }, ADMIN_TOKEN, 400],
    ["a body that is not JSON", "ok", "{not json", ADMIN_TOKEN, 400],
    ["no reason", "ok", {}, ADMIN_TOKEN, 400],
    ["a blank reason", "ok", { reason: "   " }, ADMIN_TOKEN, 400],
    ["an unknown field", "ok", { reason: "why not", admin: "Eve" }, ADMIN_TOKEN, 400],
    ["a body over 16 KiB", "ok", { reason: "x".repeat(17_000) }, ADMIN_TOKEN, 413],
    ["an unknown event", crypto.randomUUID(), { reason: "why not" }, ADMIN_TOKEN, 404],
  ])("refuses an event replay with %s and writes nothing", async (_case, id, body, token, status) => {
    const p = newPurchase();
    await deliver(checkoutCompleted(p));
    await stack.drain();
    const [event] = await listEvents(stack.db, { limit: 1 });
    const target = id === "ok" ? event!.id : id;
    const jobs = await jobCount();
    const response = await replayEventRoute(post(`/api/admin/events/${target}/replay`, body, token), deps, target);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toBeTruthy();
    expect(await eventRow(event!.id)).toMatchObject({ outcome: "applied" });
    expect(await jobCount()).toBe(jobs);
    expect(await audits("event.replay")).toEqual([]);
  });
});

describe("dead letters", () => {
  async function deadGrant() {
    stack.circle.fail({ status: 500, times: 1_000 });
    const p = newPurchase();
    await deliver(checkoutCompleted(p));
    await stack.drain();
    const [job] = await stack.db.sql<{ id: string; status: string }>(`SELECT id, status::text FROM "Job" WHERE kind = 'circle.grant'`);
    expect(job).toMatchObject({ status: "dead" });
    return { p, jobId: job!.id, customerId: (await findCustomerId(stack.db, p.email))! };
  }

  it("replaying a dead letter after the fake provider recovers converges the record", async () => {
    const { p, jobId, customerId } = await deadGrant();
    const before = (await getCustomerView(stack.db, stack.catalog, customerId))!;
    expect(before.circle.groups).toMatchObject([{ state: "failed" }]);
    expect(before.mismatches).toMatchObject([{ kind: "paid_no_access", accessGroupId: stack.ids.communityGroup }]);

    stack.circle.recover();
    expect((await replayJob(post(`/api/admin/jobs/${jobId}/replay`, { reason: "Circle is back" }), deps, jobId)).status).toBe(200);
    await stack.drain();

    expect(await jobRow(jobId)).toMatchObject({ status: "succeeded" });
    const after = (await getCustomerView(stack.db, stack.catalog, customerId))!;
    expect(after.circle.groups).toMatchObject([{ accessGroupId: stack.ids.communityGroup, state: "invited", lastError: null }]);
    expect(after.mismatches).toEqual([]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
  });

  it("discards a dead letter with its audit row; a job that is not dead is refused with 409 and nothing written", async () => {
    const { jobId, customerId } = await deadGrant();
    const response = await discardJobRoute(post(`/api/admin/jobs/${jobId}/discard`, { reason: "customer refunded meanwhile" }), deps, jobId);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ discarded: true, jobId, kind: "circle.grant", status: "discarded", audit: { action: "job.discard", actor: "api-token" } });
    expect(await jobRow(jobId)).toEqual({ status: "discarded", attempts: 8 });
    expect(await audits("job.discard")).toEqual([
      {
        actor: "api-token",
        reason: "customer refunded meanwhile",
        before: { status: "dead", kind: "circle.grant", attempts: 8, lastError: expect.stringContaining("server_error") },
        after: { status: "discarded" },
        correlationId: jobId,
        customerId,
      },
    ]);
    // A discarded job stays out of the worker's way.
    await stack.drain();
    expect(await jobRow(jobId)).toEqual({ status: "discarded", attempts: 8 });

    const [applied] = await stack.db.sql<{ id: string }>(`SELECT id FROM "Job" WHERE kind = 'lifecycle.apply'`);
    for (const [id, status, message] of [
      [jobId, 409, "the job is discarded; only dead jobs can be discarded"],
      [applied!.id, 409, "the job is succeeded; only dead jobs can be discarded"],
      [crypto.randomUUID(), 404, "no job with that id"],
    ] as const) {
      const refused = await discardJobRoute(post(`/api/admin/jobs/${id}/discard`, { reason: "tidy up" }), deps, id);
      expect(refused.status).toBe(status);
      expect(await refused.json()).toEqual({ error: message });
    }
    expect(await jobRow(applied!.id)).toMatchObject({ status: "succeeded" });
    expect(await audits("job.discard")).toHaveLength(1);
  });

  it.each([
    ["no token", { reason: "why not" }, null, 401],
    ["no reason", {}, ADMIN_TOKEN, 400],
    ["a reason too short", { reason: "x" }, ADMIN_TOKEN, 400],
    ["a body that is not JSON", "{", ADMIN_TOKEN, 400],
  ])("refuses a discard with %s and leaves the dead letter as it was", async (_case, body, token, status) => {
    const { jobId } = await deadGrant();
    expect((await discardJobRoute(post(`/api/admin/jobs/${jobId}/discard`, body, token), deps, jobId)).status).toBe(status);
    expect(await jobRow(jobId)).toEqual({ status: "dead", attempts: 8 });
    expect(await audits("job.discard")).toEqual([]);
  });
});
