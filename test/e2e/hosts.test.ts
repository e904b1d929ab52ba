import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIdentityToken } from "../../lib/identity";
import { signKitPayload } from "../../lib/webhooks/kit";
import { createFakeCircle, type FakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit, type FakeKit } from "../../lib/sandbox/kit";
import { createTestDatabase, testDbKind, type TestDatabase } from "../../lib/sandbox/database";
import { makeCanaries, serverOnlyNames } from "../../lib/security/bundle-scan";
import { launchDoctorNamesVariables, ResponseRecorder, secretsOfEnv } from "../helpers/e2e-responses";
import { freePort, startServer, type ChildServer } from "../helpers/processes";
import { checkoutCompleted, newPurchase, signStripe } from "../../lib/sandbox/stripe-events";

// The same webhook contract, over real HTTP, from both hosts: the Next route handlers (built
// app, `next start`, production config) and the lean ingest server. Both processes share one
// PostgreSQL database, which is why this runs on PostgreSQL only: the embedded database has
// a single owner process. A canary sits in every secret variable bar the real database's and
// Redis's (their passwords are the services' own) and the model's (the offline model answers);
// no response the test receives may carry one.

const built = fs.existsSync(".next/BUILD_ID");
const KEEP_OUT = new Set(["APP_MODE", "PUBLIC_URL", "DATABASE_URL", "REDIS_URL", "UPSTASH_REDIS_REST_TOKEN", "OPENAI_API_KEY"]);
const secretEnv = Object.fromEntries(Object.entries(makeCanaries().env).filter(([name]) => !KEEP_OUT.has(name)));
const STRIPE_SECRET = secretEnv.STRIPE_WEBHOOK_SECRET!;
const KIT_SECRET = secretEnv.KIT_WEBHOOK_SECRET!;
const ADMIN_TOKEN = secretEnv.ADMIN_TOKEN!;
const METRICS_TOKEN = secretEnv.METRICS_TOKEN!;
const responses = new ResponseRecorder({ values: secretsOfEnv(secretEnv), names: serverOnlyNames(), mayNameVariables: launchDoctorNamesVariables });

let testDb: TestDatabase;
let circle: FakeCircle;
let kit: FakeKit;
let next: ChildServer;
let ingest: ChildServer;

beforeAll(async () => {
  responses.interceptFetch();
  testDb = await createTestDatabase();
  circle = createFakeCircle({ token: secretEnv.CIRCLE_API_TOKEN });
  kit = createFakeKit({ apiKey: secretEnv.KIT_API_KEY });
  const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
  // The shipped demo catalog's ids, present in the fakes.
  circle.addAccessGroup("Community", 101);
  circle.addAccessGroup("Masterclass", 102);
  for (const id of [4001, 4002, 4003, 4004, 4005, 4006, 4010, 4011, 5001]) kit.addTag(`tag ${id}`, id);
  const [nextPort, ingestPort] = [await freePort(), await freePort()];
  const env = {
    ...secretEnv,
    APP_MODE: "production",
    DATABASE_URL: testDb.url!,
    CIRCLE_API_URL: circleServer.url,
    KIT_API_URL: kitServer.url,
    // The launch doctor's Stripe: nowhere (the doctor is not run here).
    STRIPE_API_URL: "http://127.0.0.1:1",
    // QSTASH_TOKEN needs it; the drain is not called here.
    PUBLIC_URL: `http://127.0.0.1:${nextPort}`,
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  [next, ingest] = await Promise.all([
    startServer("npx", ["next", "start", "-p", String(nextPort)], { ...env, RUN_WORKER: "1" }, nextPort),
    startServer("npx", ["tsx", "scripts/ingest.ts"], { ...env, INGEST_PORT: String(ingestPort) }, ingestPort),
  ]);
}, 120_000);

afterAll(async () => {
  responses.stop();
  await Promise.all([next?.stop(), ingest?.stop()]);
  await Promise.all([circle?.stop(), kit?.stop()]);
  await testDb?.drop();
});

const ledgerCount = async () => (await testDb.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "WebhookEvent"`))[0]!.n;

function post(base: string, path: string, body: string, headers: Record<string, string>) {
  return fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

describe.skipIf(testDbKind !== "postgres" || !built).each([
  ["the Next route", () => next.url],
  ["the ingest server", () => ingest.url],
])("webhook contract on %s", (_host, base) => {
  it("acknowledges a signed event once and a duplicate without a second write", async () => {
    const body = JSON.stringify(checkoutCompleted(newPurchase()));
    const before = await ledgerCount();
    const first = await post(base(), "/api/webhooks/stripe", body, { "stripe-signature": signStripe(body, STRIPE_SECRET) });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, duplicate: false });
    const again = await post(base(), "/api/webhooks/stripe", body, { "stripe-signature": signStripe(body, STRIPE_SECRET) });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(await ledgerCount()).toBe(before + 1);
  });

  it.each([
    ["a bad signature", () => { const b = JSON.stringify(checkoutCompleted(newPurchase())); return { body: b, headers: { "stripe-signature": signStripe(b, "whsec_other") } }; }, 400],
    ["a stale timestamp", () => { const b = JSON.stringify(checkoutCompleted(newPurchase())); return { body: b, headers: { "stripe-signature": signStripe(b, STRIPE_SECRET, Math.floor(Date.now() / 1000) - 600) } }; }, 400],
    ["malformed JSON", () => ({ body: "{oops", headers: { "stripe-signature": signStripe("{oops", STRIPE_SECRET) } }), 400],
    ["a body over 1 MiB", () => { const b = JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) }); return { body: b, headers: { "stripe-signature": signStripe(b, STRIPE_SECRET) } }; }, 413],
  ])("answers %s with its 4xx and writes nothing", async (_case, build, status) => {
    const before = await ledgerCount();
    const { body, headers } = build();
    const response = await post(base(), "/api/webhooks/stripe", body, headers);
    expect(response.status).toBe(status);
    expect(typeof (await response.json()).error).toBe("string");
    expect(await ledgerCount()).toBe(before);
  });

  it("verifies and records Kit deliveries", async () => {
    const body = JSON.stringify({ events: [{ id: crypto.randomUUID(), type: "subscriber.activated", created: new Date().toISOString(), data: { subscriber: { id: 1, email_address: "x@example.com" } } }] });
    expect((await post(base(), "/api/webhooks/kit", body, { "x-kit-signature": signKitPayload(body, KIT_SECRET) })).status).toBe(200);
    expect((await post(base(), "/api/webhooks/kit", body, { "x-kit-signature": signKitPayload(body, "wrong") })).status).toBe(400);
  });
});

describe.skipIf(testDbKind !== "postgres" || !built)("the Next app in production mode", () => {
  const admin = (query: string, token: string | null = ADMIN_TOKEN) =>
    fetch(`${next.url}/api/admin/customers${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("applies a purchase end to end and shows it through the admin API", async () => {
    const p = newPurchase();
    const body = JSON.stringify(checkoutCompleted(p));
    expect((await post(ingest.url, "/api/webhooks/stripe", body, { "stripe-signature": signStripe(body, STRIPE_SECRET) })).status).toBe(200);
    const deadline = Date.now() + 20_000;
    let record: { entitlements: Array<{ status: string }>; access: Array<{ state: string }>; tags: Array<{ state: string }> } | undefined;
    while (Date.now() < deadline) {
      const response = await admin(`?email=${encodeURIComponent(p.email)}`);
      if (response.status === 200) {
        record = await response.json();
        if (record!.access[0]?.state === "invited" && record!.tags.every((tag) => tag.state === "applied")) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(record?.entitlements).toMatchObject([{ status: "active" }]);
    expect(record?.access).toMatchObject([{ state: "invited" }]);
    expect(circle.membersOf(101)).toContain(p.email);
  });

  it.each([
    ["no token", "?email=a@b.co", null, 401],
    ["a wrong token", "?email=a@b.co", "nope", 401],
    ["the demo token in production", "?email=a@b.co", "demo-admin-token", 401],
    ["a malformed email", "?email=nope", ADMIN_TOKEN, 400],
    ["an unknown customer", "?email=nobody@example.com", ADMIN_TOKEN, 404],
  ])("answers the admin API with %s", async (_case, query, token, status) => {
    expect((await admin(query, token)).status).toBe(status);
  });

  it("serves health, readiness and Prometheus metrics", async () => {
    expect(await (await fetch(`${next.url}/api/health`)).json()).toEqual({ status: "ok" });
    // Ready once the web process's worker has beaten (it beats as its loop starts).
    await expect.poll(async () => (await fetch(`${next.url}/api/health?ready=1`)).json(), { timeout: 30_000, interval: 500 }).toEqual({ status: "ready", database: "postgres" });
    expect((await fetch(`${next.url}/api/metrics`)).status).toBe(401);
    const metricsText = await (await fetch(`${next.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metricsText).toMatch(/entitled_jobs\{status="succeeded"\} \d+/);
    expect(metricsText).toContain("entitled_webhook_events_total");
  });

  it("lists the ticket queue for admins only", async () => {
    expect((await fetch(`${next.url}/api/admin/tickets`)).status).toBe(401);
    const response = await fetch(`${next.url}/api/admin/tickets?status=open`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(Array.isArray((await response.json()).tickets)).toBe(true);
  });

  it("serves the outbox and the replay route for admins only", async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await fetch(`${next.url}/api/admin/jobs?status=dead`)).status).toBe(401);
    const response = await fetch(`${next.url}/api/admin/jobs?status=succeeded&limit=5`, { headers: auth });
    expect(response.status).toBe(200);
    expect(Array.isArray((await response.json()).jobs)).toBe(true);
    const replay = (id: string) =>
      fetch(`${next.url}/api/admin/jobs/${id}/replay`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ admin: "Ada", reason: "route check" }) });
    expect((await replay(crypto.randomUUID())).status).toBe(404);
    expect((await replay("not-a-uuid")).status).toBe(400);
  });

  it("serves the Circle drift report for admins only, read from the configured Circle", async () => {
    expect((await fetch(`${next.url}/api/admin/drift/circle`)).status).toBe(401);
    const response = await fetch(`${next.url}/api/admin/drift/circle?accessGroupId=101`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const { groups } = (await response.json()) as { groups: Array<{ accessGroupId: number; circleMembers: number; missingInCircle: unknown[] }> };
    expect(groups).toMatchObject([{ accessGroupId: 101, missingInCircle: [] }]);
    expect(groups[0]!.circleMembers).toBe(circle.membersOf(101).length);
  });

  it("serves the chat: 401 without an identity, a streamed grounded answer with one", async () => {
    const body = JSON.stringify({ id: crypto.randomUUID(), messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "did my payment go through?" }] }] });
    expect((await fetch(`${next.url}/api/chat`, { method: "POST", headers: { "content-type": "application/json" }, body })).status).toBe(401);
    const token = await signIdentityToken("nobody-yet@example.com", secretEnv.CHAT_IDENTITY_SECRET!);
    const response = await fetch(`${next.url}/api/chat`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body });
    expect(response.status).toBe(200);
    const text = (await response.text())
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: string })
      .filter((event) => event.type === "text-delta")
      .map((event) => event.delta)
      .join("");
    expect(text).toContain("can't find a purchase");
  });

  it("does not mount the benchmark route unless asked to", async () => {
    expect((await fetch(`${next.url}/api/bench/bare`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});

describe.skipIf(testDbKind !== "postgres" || !built)("both hosts' responses", () => {
  it("sent no secret value and no server-only variable name", async () => {
    await responses.expectClean();
  });
});
