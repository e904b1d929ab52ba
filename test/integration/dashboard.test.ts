import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dashboardData, PAYMENT_TO_ACCESS_EDGES, type DashboardData } from "../../lib/admin/dashboard";
import { discardDeadLetter } from "../../lib/admin/dead-letters";
import { dashboardRoute } from "../../lib/admin/views-api";
import { parseEnv } from "../../lib/config";
import { findCustomerId } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase, stripeEvent } from "../../lib/sandbox/stripe-events";
import { openOrReuseTicket } from "../../lib/support/tickets";

// The dashboard's numbers after a scripted flow through the real spine: purchases (one whose
// Circle grant dies), ignored events, tickets with a repeat ask, and chat conversations.

const ADMIN_TOKEN = "admin-token-for-the-dashboard-test-0123";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

const sum = <T>(rows: T[], value: (row: T) => number) => rows.reduce((total, row) => total + value(row), 0);

async function conversation(identity: string, customerId: string | null): Promise<string> {
  const id = crypto.randomUUID();
  await stack.db.sql(`INSERT INTO "Conversation" (id, identity, "customerId", "updatedAt") VALUES ($1, $2, $3, now())`, [id, identity, customerId]);
  return id;
}

/** Three paid purchases granted, one checkout whose grant died, two ignored events, three ticket asks and three chats. */
async function scriptedFlow() {
  const buyers = [newPurchase(), newPurchase(), newPurchase()];
  for (const p of buyers) {
    for (const event of [checkoutCompleted(p), invoiceEvent(p, "invoice.paid")]) expect((await stack.postStripe(event)).status).toBe(200);
  }
  await stack.drain();
  stack.circle.fail({ status: 500, times: 1_000 });
  const unlucky = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(unlucky))).status).toBe(200);
  await stack.drain();
  stack.circle.recover();
  expect((await stack.postStripe(stripeEvent({ type: "customer.created", created: unlucky.at, object: { id: "cus_other", object: "customer" } }))).status).toBe(200);
  const kit = { id: crypto.randomUUID(), type: "subscriber.unsubscribed", created: new Date().toISOString(), data: { subscriber: { id: 5, email_address: "list-only@example.com", state: "inactive" } } };
  expect((await stack.postKit({ events: [kit] })).status).toBe(200);
  await stack.drain();

  const [a, b] = await Promise.all(buyers.slice(0, 2).map(async (p) => ({ p, id: (await findCustomerId(stack.db, p.email))! })));
  const chat = await conversation(a!.p.email, a!.id);
  await conversation(b!.p.email, b!.id);
  await conversation("visitor@example.com", null);
  await openOrReuseTicket(stack.db, { customerId: a!.id, identity: a!.p.email, category: "billing", summary: "charged twice", source: "chat", conversationId: chat });
  await openOrReuseTicket(stack.db, { customerId: a!.id, identity: a!.p.email, category: "billing", summary: "charged twice, again", source: "chat", conversationId: chat });
  await openOrReuseTicket(stack.db, { customerId: b!.id, identity: b!.p.email, category: "access", summary: "cannot log in", source: "system" });
  const [dead] = await stack.db.sql<{ id: string }>(`SELECT id FROM "Job" WHERE status = 'dead'`);
  return { deadJobId: dead!.id };
}

const outcomes = (data: DashboardData, provider: "stripe" | "kit") => ({
  pending: sum(data.webhookOutcomesPerHour, (hour) => hour[provider].pending),
  applied: sum(data.webhookOutcomesPerHour, (hour) => hour[provider].applied),
  ignored: sum(data.webhookOutcomesPerHour, (hour) => hour[provider].ignored),
  failed: sum(data.webhookOutcomesPerHour, (hour) => hour[provider].failed),
});

describe("dashboard", () => {
  it("counts the scripted flow exactly", async () => {
    const { deadJobId } = await scriptedFlow();
    const now = new Date();
    const data = await dashboardData(stack.db, now);

    const access = data.paymentToAccess;
    expect(access).toMatchObject({ windowDays: 7, purchases: 4, samples: 3 });
    expect(access.buckets.map((bucket) => [bucket.fromSeconds, bucket.toSeconds])).toEqual(
      [0, ...PAYMENT_TO_ACCESS_EDGES].map((from, index) => [from, PAYMENT_TO_ACCESS_EDGES[index] ?? null]),
    );
    expect(sum(access.buckets, (bucket) => bucket.count)).toBe(3);
    expect(access.p50Seconds).toBeGreaterThan(0);
    expect(access.p95Seconds).toBeGreaterThanOrEqual(access.p50Seconds!);
    // The grants ran within the drains above: each sample is under a minute.
    expect(sum(access.buckets.filter((bucket) => bucket.fromSeconds >= 60), (bucket) => bucket.count)).toBe(0);

    expect(data.webhookOutcomesPerHour).toHaveLength(48);
    expect(data.webhookOutcomesPerHour.at(-1)!.hour.getTime()).toBe(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    expect(outcomes(data, "stripe")).toEqual({ pending: 0, applied: 7, ignored: 1, failed: 0 });
    expect(outcomes(data, "kit")).toEqual({ pending: 0, applied: 0, ignored: 1, failed: 0 });

    // Each paid invoice leaves its re-check at the end of the paid period, and each invited member
    // a check of their invitation 10 minutes later: none due yet.
    expect(data.queue).toEqual({
      depth: [
        { status: "queued", kind: "circle.invitation_check", count: 3 },
        { status: "queued", kind: "lifecycle.recheck", count: 3 },
      ],
      oldestDueAgeSeconds: null,
    });

    expect(data.deadLetters.now).toBe(1);
    expect(data.deadLetters.perDay).toHaveLength(14);
    expect(sum(data.deadLetters.perDay, (day) => day.count)).toBe(1);

    expect(data.ticketsPerDay).toHaveLength(14);
    expect(data.ticketsPerDay.at(-1)!.day.getTime()).toBe(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
    // Opened: the chat's billing ticket, the access ticket, and the one the dead grant opened for its journey.
    expect({ opened: sum(data.ticketsPerDay, (day) => day.opened), repeats: sum(data.ticketsPerDay, (day) => day.repeats) }).toEqual({ opened: 3, repeats: 1 });
    expect({
      withoutTicket: sum(data.botClosedConversations, (day) => day.withoutTicket),
      withTicket: sum(data.botClosedConversations, (day) => day.withTicket),
    }).toEqual({ withoutTicket: 2, withTicket: 1 });

    // A discarded dead letter leaves the count of dead jobs, not the day it died.
    const discarded = await discardDeadLetter(stack.db, deadJobId, { actor: { kind: "token" }, reason: "refunded meanwhile" });
    expect(discarded.ok).toBe(true);
    const later = await dashboardData(stack.db, new Date());
    expect(later.deadLetters.now).toBe(0);
    expect(sum(later.deadLetters.perDay, (day) => day.count)).toBe(1);
  });

  it("windows by the given time: a month on, the purchases and tickets have aged out and the re-checks are due", async () => {
    await scriptedFlow();
    const monthOn = new Date(Date.now() + 31 * 86_400_000);
    const [due] = await stack.db.sql<{ oldest: Date }>(`SELECT min("runAt") AS oldest FROM "Job" WHERE status = 'queued'`);
    const data = await dashboardData(stack.db, monthOn);
    expect(data.paymentToAccess).toMatchObject({ purchases: 0, samples: 0, p50Seconds: null, p95Seconds: null });
    expect(sum(data.paymentToAccess.buckets, (bucket) => bucket.count)).toBe(0);
    expect(outcomes(data, "stripe")).toEqual({ pending: 0, applied: 0, ignored: 0, failed: 0 });
    expect(sum(data.ticketsPerDay, (day) => day.opened + day.repeats)).toBe(0);
    expect(data.queue.oldestDueAgeSeconds).toBeCloseTo((monthOn.getTime() - due!.oldest.getTime()) / 1000, 2);
    expect(data.deadLetters.now).toBe(1);
  });

  it("serves the numbers to the admin only, and takes no query", async () => {
    const deps = { env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }), db: stack.db, sessionSecret: "session-secret-for-the-dashboard-test-0123456789" };
    const request = (query = "", token: string | null = ADMIN_TOKEN) =>
      new Request(`http://test/api/admin/dashboard${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const response = await dashboardRoute(request(), deps);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { webhookOutcomesPerHour: unknown[]; ticketsPerDay: unknown[]; queue: unknown };
    expect(body.webhookOutcomesPerHour).toHaveLength(48);
    expect(body.ticketsPerDay).toHaveLength(14);
    expect(body.queue).toEqual({ depth: [], oldestDueAgeSeconds: null });
    expect((await dashboardRoute(request("", null), deps)).status).toBe(401);
    expect((await dashboardRoute(request("?days=3"), deps)).status).toBe(400);
  });
});
