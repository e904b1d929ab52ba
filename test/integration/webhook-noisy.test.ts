import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Redis as IORedis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createWebhookFailureLimiter, type RateLimitStore, type WebhookFailureLimiter } from "../../lib/ratelimit";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, signStripe } from "../../lib/sandbox/stripe-events";
import { createIngestServer } from "../../lib/webhooks/ingest-server";
import { createKitWebhookHandler, signKitPayload } from "../../lib/webhooks/kit";
import { createLedgerWriter } from "../../lib/webhooks/ledger";
import { createStripeWebhookHandler } from "../../lib/webhooks/stripe";

// Noisy sources: deliveries that fail their signature check are limited per source address;
// correctly signed ones never are (and never touch the store). Stores: the real Redis this
// machine runs (scripts/services.sh) and the in-process one; the ledger on the TEST_DB database.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const RUN_PREFIX = `test:webhook-failures:${randomUUID()}`;
const KEY_SECRET = "webhook-failure-key-secret-for-tests";
const NEW = "whsec_new_secret";
const OLD = "whsec_old_secret";
const KIT = "kit_noisy_secret";

let redis: IORedis;
beforeAll(() => {
  redis = new IORedis(REDIS_URL);
});
afterAll(async () => {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${RUN_PREFIX}:*`, count: 500 })) keys.push(...(batch as string[]));
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

const stores: [string, RateLimitStore][] = [
  ["redis", { kind: "redis", url: REDIS_URL }],
  ["memory", { kind: "memory" }],
];

/** A limiter that counts its calls, to show a valid delivery never reaches it. */
function counting(inner: WebhookFailureLimiter) {
  let calls = 0;
  return {
    limiter: { failed: (address: string) => ((calls += 1), inner.failed(address)), close: () => inner.close() } satisfies WebhookFailureLimiter,
    calls: () => calls,
  };
}

const stripeBody = () => JSON.stringify(checkoutCompleted(newPurchase()));
const kitBody = () => JSON.stringify({ events: [{ id: randomUUID(), type: "subscriber.created", created: new Date().toISOString(), data: { subscriber: { id: 1, email_address: "noisy@example.com", state: "active" } } }] });
const stripeRequest = (body: string, signature: string, address: string) =>
  new Request("http://test/api/webhooks/stripe", { method: "POST", headers: { "stripe-signature": signature, "x-forwarded-for": address }, body });
const kitRequest = (body: string, signature: string, address: string) =>
  new Request("http://test/api/webhooks/kit", { method: "POST", headers: { "x-kit-signature": signature, "x-forwarded-for": address }, body });

describe.each(stores)("webhook failure limiter on the %s store", (_name, store) => {
  const open = () => createWebhookFailureLimiter({ ...store, prefix: `${RUN_PREFIX}:${randomUUID()}`, keySecret: KEY_SECRET, limit: { requests: 3, windowMs: 60_000 } });

  it("allows the limit's failures per address, then refuses with a wait; other addresses are unaffected", async () => {
    const limiter = open();
    for (let i = 0; i < 3; i++) expect(await limiter.failed("203.0.113.7")).toEqual({ ok: true });
    const refused = await limiter.failed("203.0.113.7");
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(await limiter.failed("198.51.100.1")).toEqual({ ok: true });
    await limiter.close();
  });

  it("Next routes: bad signatures get 400, then 429 with Retry-After; a correctly signed delivery from the limited address still gets through", async () => {
    const ledger = createLedgerWriter(stack.db);
    const { limiter, calls } = counting(open());
    const stripe = createStripeWebhookHandler({ ledger, secret: `${NEW},${OLD}`, failureLimiter: limiter });
    const kit = createKitWebhookHandler({ ledger, secret: KIT, failureLimiter: limiter });
    const noisy = "203.0.113.9";

    const body = stripeBody();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await stripe(stripeRequest(body, signStripe(body, "whsec_wrong"), noisy))).status);
    expect(statuses).toEqual([400, 400, 400]);
    const limited = await stripe(stripeRequest(body, signStripe(body, "whsec_wrong"), noisy));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Kit shares the per-address allowance.
    const kitLimited = await kit(kitRequest(kitBody(), signKitPayload(kitBody(), "nope"), noisy));
    expect(kitLimited.status).toBe(429);

    const before = calls();
    const valid = await stripe(stripeRequest(body, signStripe(body, OLD), noisy));
    expect(valid.status).toBe(200);
    // Signed over another body: a failure, counted and limited.
    expect((await stripe(stripeRequest(stripeBody(), signStripe(body, NEW), noisy))).status).toBe(429);
    const k = kitBody();
    expect((await kit(kitRequest(k, signKitPayload(k, KIT), noisy))).status).toBe(200);
    expect(calls()).toBe(before + 1);
    const [row] = await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "WebhookEvent"`);
    expect(row!.n).toBe(2);
    // Another address is not limited by the noisy one.
    expect((await stripe(stripeRequest(body, signStripe(body, "whsec_wrong"), "198.51.100.2"))).status).toBe(400);
    await limiter.close();
  });
});

describe("Stripe secret rotation through the route", () => {
  it.each([
    ["the new secret", NEW, 200],
    ["the old secret", OLD, 200],
    ["neither", "whsec_neither", 400],
  ])("a delivery signed with %s: %d", async (_case, secret, status) => {
    const stripe = createStripeWebhookHandler({ ledger: createLedgerWriter(stack.db), secret: `${NEW}, ${OLD}` });
    const body = stripeBody();
    expect((await stripe(stripeRequest(body, signStripe(body, secret), "192.0.2.1"))).status).toBe(status);
  });

  it("does not count a correctly signed body that is not JSON as a signature failure", async () => {
    const { limiter, calls } = counting(createWebhookFailureLimiter({ kind: "memory", keySecret: KEY_SECRET, limit: { requests: 1, windowMs: 60_000 } }));
    const stripe = createStripeWebhookHandler({ ledger: createLedgerWriter(stack.db), secret: NEW, failureLimiter: limiter });
    for (let i = 0; i < 3; i++) expect((await stripe(stripeRequest("{not json", signStripe("{not json", NEW), "192.0.2.2"))).status).toBe(400);
    expect(calls()).toBe(0);
  });
});

describe("ingest server", () => {
  it("limits failures per address, never a signed delivery, and reads no store for a valid one", async () => {
    const ledger = createLedgerWriter(stack.db);
    const { limiter, calls } = counting(createWebhookFailureLimiter({ kind: "memory", keySecret: KEY_SECRET, limit: { requests: 2, windowMs: 60_000 } }));
    const server = createIngestServer({ stripeWebhook: { ledger, secret: `${NEW},${OLD}`, failureLimiter: limiter }, kitWebhook: { ledger, secret: KIT, failureLimiter: limiter } });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/stripe`;
    const post = (body: string, signature: string) => fetch(url, { method: "POST", headers: { "stripe-signature": signature }, body });
    try {
      const body = stripeBody();
      // No X-Forwarded-For: the socket's address counts.
      expect((await post(body, signStripe(body, "whsec_bad"))).status).toBe(400);
      expect((await post(body, signStripe(body, "whsec_bad"))).status).toBe(400);
      const limited = await post(body, signStripe(body, "whsec_bad"));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      const before = calls();
      const ok = await post(body, signStripe(body, NEW));
      expect(ok.status).toBe(200);
      expect(calls()).toBe(before);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
