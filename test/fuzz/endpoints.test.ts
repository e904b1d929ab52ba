import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as chatRoute from "../../app/api/chat/route";
import * as healthRoute from "../../app/api/health/route";
import * as metricsRoute from "../../app/api/metrics/route";
import * as kitRoute from "../../app/api/webhooks/kit/route";
import * as stripeRoute from "../../app/api/webhooks/stripe/route";
import * as adminCustomers from "../../app/api/admin/customers/route";
import * as adminCustomer from "../../app/api/admin/customers/[id]/route";
import * as adminAudit from "../../app/api/admin/customers/[id]/audit/route";
import * as adminOverrides from "../../app/api/admin/customers/[id]/overrides/route";
import * as adminDashboard from "../../app/api/admin/dashboard/route";
import * as adminEvents from "../../app/api/admin/events/route";
import * as adminEventReplay from "../../app/api/admin/events/[id]/replay/route";
import * as adminJobs from "../../app/api/admin/jobs/route";
import * as adminJobReplay from "../../app/api/admin/jobs/[id]/replay/route";
import * as adminJobDiscard from "../../app/api/admin/jobs/[id]/discard/route";
import * as adminReconcile from "../../app/api/admin/reconcile/route";
import * as adminReconcileRun from "../../app/api/admin/reconcile/[id]/route";
import * as adminSearch from "../../app/api/admin/search/route";
import * as adminSession from "../../app/api/admin/session/route";
import * as adminTickets from "../../app/api/admin/tickets/route";
import * as adminTicket from "../../app/api/admin/tickets/[id]/route";
import * as adminTicketAssign from "../../app/api/admin/tickets/[id]/assign/route";
import * as adminTicketNote from "../../app/api/admin/tickets/[id]/note/route";
import * as adminTicketReply from "../../app/api/admin/tickets/[id]/reply/route";
import * as adminTicketResolve from "../../app/api/admin/tickets/[id]/resolve/route";
import * as adminTicketReopen from "../../app/api/admin/tickets/[id]/reopen/route";
import * as adminTicketRelease from "../../app/api/admin/tickets/[id]/release/route";
import { parseEnv } from "../../lib/config";
import { signIdentityToken } from "../../lib/identity";
import { createRuntime, type Runtime } from "../../lib/runtime";
import { KIT_SECRET, startStack, STRIPE_SECRET, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, signStripe } from "../../lib/sandbox/stripe-events";
import { signKitPayload } from "../../lib/webhooks/kit";
import { bodies, extraHeaders, FUZZ_RUNS, FUZZ_TIMEOUT_MS, fuzzEndpoint, headerValue, pathId, printTally, queryString, tryRequest } from "./support";

// Every public endpoint of the Next app, called in-process through its real route module (the
// runtime built on the test database) with FUZZ_RUNS generated requests each: bodies, headers,
// encodings, sizes and credentials valid or not. Zero 5xx; every rejection a 4xx with a plain
// message and no write. The ingest server is fuzzed over HTTP in ingest-server.test.ts.

const ADMIN_TOKEN = "admin-token-for-the-fuzzer-0123456789";
const METRICS_TOKEN = "metrics-token-for-the-fuzzer-0123456789";
const IDENTITY_SECRET = "identity-secret-for-the-fuzzer-0123456789";

let stack: Stack;
let runtime: Runtime;
const ids = { customer: "", ticket: "", job: "", event: "" };
const totals: Record<string, number> = {};

beforeAll(async () => {
  stack = await startStack();
  const env = parseEnv({
    APP_MODE: "demo",
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    KIT_WEBHOOK_SECRET: KIT_SECRET,
    ADMIN_TOKEN,
    METRICS_TOKEN,
    CHAT_IDENTITY_SECRET: IDENTITY_SECRET,
    SESSION_SECRET: "session-secret-for-the-fuzzer-0123456789",
    LOG_LEVEL: "silent",
  });
  runtime = await createRuntime(env, { db: stack.db });
  (globalThis as { __entitledRuntime?: Promise<Runtime> }).__entitledRuntime = Promise.resolve(runtime);
  // Real rows for the routes that take an id: a customer with a purchase, its jobs and event.
  const p = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  await stack.drain();
  const [customer] = await stack.db.sql<{ id: string }>(`SELECT id FROM "Customer" LIMIT 1`);
  const [job] = await stack.db.sql<{ id: string }>(`SELECT id FROM "Job" LIMIT 1`);
  const [event] = await stack.db.sql<{ id: string }>(`SELECT id FROM "WebhookEvent" LIMIT 1`);
  ids.customer = customer!.id;
  ids.job = job!.id;
  ids.event = event!.id;
}, 300_000);

afterAll(async () => {
  delete (globalThis as { __entitledRuntime?: Promise<Runtime> }).__entitledRuntime;
  console.log(`fuzz totals: ${JSON.stringify(totals)}`);
  await stack.stop();
});

const record = (name: string, tally: Map<number, number>) => {
  totals[name] = printTally(name, tally);
  expect(totals[name]).toBeGreaterThanOrEqual(Math.floor(FUZZ_RUNS * 0.95));
};

// ---- the webhooks ----

const stripeEventShape = fc.record({
  id: fc.oneof(fc.stringMatching(/^evt_[0-9a-f]{1,24}$/), fc.string({ maxLength: 30 })),
  object: fc.constantFrom("event", "charge", ""),
  type: fc.constantFrom("checkout.session.completed", "customer.subscription.updated", "invoice.paid", "invoice.payment_failed", "charge.refunded", "charge.dispute.created", "customer.updated", "ping", ""),
  created: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }), fc.string({ maxLength: 10 })),
  data: fc.oneof(fc.record({ object: fc.jsonValue({ maxDepth: 3 }) }), fc.jsonValue({ maxDepth: 2 })),
});

const kitEventShape = fc.record({
  events: fc.array(
    fc.record({
      id: fc.oneof(fc.uuid(), fc.string({ maxLength: 20 })),
      type: fc.constantFrom("subscriber.activated", "subscriber.unsubscribed", "subscriber.bounced", "subscriber.tag_add", "subscriber.tag_remove", "nope"),
      created: fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), fc.string({ maxLength: 12 })),
      data: fc.jsonValue({ maxDepth: 3 }),
    }),
    { maxLength: 3 },
  ),
});

type Signature = "valid" | "other-secret" | "stale" | "garbage" | "none";
/** Valid now and then (15%): a request that may be accepted is fingerprinted alone, which costs. */
const sometimesValid = <T extends string>(valid: T, others: T[]) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(valid) }, { weight: 17, arbitrary: fc.constantFrom(...others) });
const signature = sometimesValid<Signature>("valid", ["other-secret", "stale", "garbage", "none"]);

const webhookInput = (shape: fc.Arbitrary<unknown>): fc.Arbitrary<WebhookInput> =>
  fc.record({
    method: fc.constantFrom("POST", "POST", "POST", "PUT", "GET", "DELETE", "PATCH"),
    body: bodies([shape]),
    signature,
    garbage: headerValue,
    headers: extraHeaders,
  });

interface WebhookInput {
  method: string;
  body: string;
  signature: Signature;
  garbage: string;
  headers: Record<string, string>;
}

function webhookRequest(provider: "stripe" | "kit", input: WebhookInput) {
  const now = Math.floor(Date.now() / 1000);
  const sign = (secret: string, at = now) => (provider === "stripe" ? signStripe(input.body, secret, at) : signKitPayload(input.body, secret, at));
  const secret = provider === "stripe" ? STRIPE_SECRET : KIT_SECRET;
  const value = { valid: sign(secret), "other-secret": sign(`${secret}_other`), stale: sign(secret, now - 3600), garbage: input.garbage, none: null }[input.signature];
  const headers: Record<string, string> = { ...input.headers };
  if (value !== null) headers[provider === "stripe" ? "stripe-signature" : "x-kit-signature"] = value;
  const bodyAllowed = input.method !== "GET";
  return tryRequest(`http://localhost/api/webhooks/${provider}`, { method: input.method, headers, body: bodyAllowed ? input.body : undefined });
}

describe("fuzzing the webhooks", () => {
  it(`answers ${FUZZ_RUNS} generated Stripe deliveries without a 5xx or a write on rejection`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const tally = await fuzzEndpoint({
      name: "POST /api/webhooks/stripe",
      db: stack.db,
      arbitrary: webhookInput(stripeEventShape),
      build: (input) => webhookRequest("stripe", input),
      // Next hands the POST export only POSTs: other methods reach it through the same handler the ingest server runs.
      send: (request) => (request.method === "POST" ? stripeRoute.POST(request) : runtimeHandler("stripe", request)),
      mayWrite: (input) => input.signature === "valid" && input.method === "POST",
    });
    record("stripe webhook", tally);
  });

  it(`answers ${FUZZ_RUNS} generated Kit deliveries without a 5xx or a write on rejection`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const tally = await fuzzEndpoint({
      name: "POST /api/webhooks/kit",
      db: stack.db,
      arbitrary: webhookInput(kitEventShape),
      build: (input) => webhookRequest("kit", input),
      send: (request) => (request.method === "POST" ? kitRoute.POST(request) : runtimeHandler("kit", request)),
      mayWrite: (input) => input.signature === "valid" && input.method === "POST",
    });
    record("kit webhook", tally);
  });
});

async function runtimeHandler(provider: "stripe" | "kit", request: Request): Promise<Response> {
  const { handleStripeWebhook } = await import("../../lib/webhooks/stripe");
  const { handleKitWebhook } = await import("../../lib/webhooks/kit");
  return provider === "stripe" ? handleStripeWebhook(request, runtime.stripeWebhook) : handleKitWebhook(request, runtime.kitWebhook);
}

// ---- the chat ----

const chatMessage = fc.record({
  id: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 })),
  role: fc.constantFrom("user", "assistant", "system", "tool", ""),
  parts: fc.array(fc.oneof(fc.record({ type: fc.constantFrom("text", "file", "tool-x"), text: fc.string({ unit: "grapheme", maxLength: 80 }) }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
});
const chatShape = fc.record({ id: fc.oneof(fc.uuid(), fc.string({ maxLength: 20 })), messages: fc.array(chatMessage, { maxLength: 3 }) }, { requiredKeys: [] });

type Token = "valid" | "expired" | "other-secret" | "garbage" | "none";

describe("fuzzing the chat", () => {
  let tokens: Record<Exclude<Token, "garbage" | "none">, string>;
  beforeAll(async () => {
    const now = Math.floor(Date.now() / 1000);
    tokens = {
      valid: await signIdentityToken("fuzz@example.com", IDENTITY_SECRET),
      expired: await new SignJWT()
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject("fuzz@example.com")
        .setIssuedAt(now - 7200)
        .setExpirationTime(now - 3600)
        .sign(new TextEncoder().encode(IDENTITY_SECRET)),
      "other-secret": await signIdentityToken("fuzz@example.com", "another-secret-0123456789-abcdefgh"),
    };
  });

  it(`answers ${FUZZ_RUNS} generated chat requests without a 5xx or a write on rejection`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const tally = await fuzzEndpoint({
      name: "/api/chat",
      db: stack.db,
      arbitrary: fc.record({
        method: fc.constantFrom("POST", "POST", "POST", "GET"),
        token: sometimesValid<Token>("valid", ["expired", "other-secret", "garbage", "none"]),
        garbage: headerValue,
        body: bodies([chatShape]),
        query: queryString,
        headers: extraHeaders,
      }),
      build: (input) => {
        const headers: Record<string, string> = { ...input.headers };
        if (input.token === "garbage") headers.authorization = input.garbage;
        else if (input.token !== "none") headers.authorization = `Bearer ${tokens[input.token]}`;
        return tryRequest(`http://localhost/api/chat${input.query}`, { method: input.method, headers, body: input.method === "POST" ? input.body : undefined });
      },
      send: (request) => (request.method === "POST" ? chatRoute.POST(request) : chatRoute.GET(request)),
      mayWrite: (input) => input.token === "valid",
    });
    record("chat", tally);
  });
});

// ---- the admin API ----

type Route = { path: (id: string) => string; method: "GET" | "POST" | "DELETE"; handler: (request: Request, id: string) => Promise<Response> };
const withId = (handler: (request: Request, context: { params: Promise<{ id: string }> }) => Promise<Response>) => (request: Request, id: string) =>
  handler(request, { params: Promise.resolve({ id }) });
const noId = (handler: (request: Request) => Promise<Response>) => (request: Request) => handler(request);

const adminRoutes: Route[] = [
  { path: () => "/api/admin/customers", method: "GET", handler: noId(adminCustomers.GET) },
  { path: (id) => `/api/admin/customers/${id}`, method: "GET", handler: withId(adminCustomer.GET) },
  { path: (id) => `/api/admin/customers/${id}/audit`, method: "GET", handler: withId(adminAudit.GET) },
  { path: (id) => `/api/admin/customers/${id}/overrides`, method: "POST", handler: withId(adminOverrides.POST) },
  { path: () => "/api/admin/dashboard", method: "GET", handler: noId(adminDashboard.GET) },
  { path: () => "/api/admin/events", method: "GET", handler: noId(adminEvents.GET) },
  { path: (id) => `/api/admin/events/${id}/replay`, method: "POST", handler: withId(adminEventReplay.POST) },
  { path: () => "/api/admin/jobs", method: "GET", handler: noId(adminJobs.GET) },
  { path: (id) => `/api/admin/jobs/${id}/replay`, method: "POST", handler: withId(adminJobReplay.POST) },
  { path: (id) => `/api/admin/jobs/${id}/discard`, method: "POST", handler: withId(adminJobDiscard.POST) },
  { path: () => "/api/admin/reconcile", method: "POST", handler: noId(adminReconcile.POST) },
  { path: (id) => `/api/admin/reconcile/${id}`, method: "GET", handler: withId(adminReconcileRun.GET) },
  { path: () => "/api/admin/search", method: "GET", handler: noId(adminSearch.GET) },
  { path: () => "/api/admin/session", method: "GET", handler: noId(adminSession.GET) },
  { path: () => "/api/admin/session", method: "POST", handler: noId(adminSession.POST) },
  { path: () => "/api/admin/session", method: "DELETE", handler: noId(adminSession.DELETE) },
  { path: () => "/api/admin/tickets", method: "GET", handler: noId(adminTickets.GET) },
  { path: (id) => `/api/admin/tickets/${id}`, method: "GET", handler: withId(adminTicket.GET) },
  { path: (id) => `/api/admin/tickets/${id}/assign`, method: "POST", handler: withId(adminTicketAssign.POST) },
  { path: (id) => `/api/admin/tickets/${id}/note`, method: "POST", handler: withId(adminTicketNote.POST) },
  { path: (id) => `/api/admin/tickets/${id}/reply`, method: "POST", handler: withId(adminTicketReply.POST) },
  { path: (id) => `/api/admin/tickets/${id}/resolve`, method: "POST", handler: withId(adminTicketResolve.POST) },
  { path: (id) => `/api/admin/tickets/${id}/reopen`, method: "POST", handler: withId(adminTicketReopen.POST) },
  { path: (id) => `/api/admin/tickets/${id}/release`, method: "POST", handler: withId(adminTicketRelease.POST) },
];

const adminShape = fc.record(
  {
    action: fc.constantFrom("grantAccess", "revokeAccess", "addTag", "removeTag", "endJourney", "resendInvite", "linkEmail", "linkStripeCustomer", "merge", "nope"),
    reason: fc.oneof(fc.string({ maxLength: 40 }), fc.constant("")),
    accessGroupId: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
    tagId: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
    email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })),
    password: fc.string({ maxLength: 30 }),
    text: fc.string({ maxLength: 60 }),
    note: fc.string({ maxLength: 60 }),
    dryRun: fc.oneof(fc.boolean(), fc.string({ maxLength: 5 })),
    providers: fc.oneof(fc.subarray(["circle", "kit", "stripe", "paypal"]), fc.string({ maxLength: 8 })),
  },
  { requiredKeys: [] },
);

type AdminAuth = "token" | "garbage" | "none";

describe("fuzzing the admin API", () => {
  it(`answers ${FUZZ_RUNS} generated admin API requests (${adminRoutes.length} routes) without a 5xx or a write on rejection`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const tally = await fuzzEndpoint({
      name: "/api/admin/*",
      db: stack.db,
      arbitrary: fc.record({
        route: fc.integer({ min: 0, max: adminRoutes.length - 1 }),
        id: fc.oneof(fc.constantFrom("customer", "job", "event"), pathId),
        auth: sometimesValid<AdminAuth>("token", ["garbage", "none"]),
        garbage: headerValue,
        body: bodies([adminShape]),
        query: queryString,
        headers: extraHeaders,
      }),
      build: (input) => {
        const route = adminRoutes[input.route]!;
        const id = input.id === "customer" ? ids.customer : input.id === "job" ? ids.job : input.id === "event" ? ids.event : input.id;
        const headers: Record<string, string> = { ...input.headers };
        if (input.auth === "token") headers.authorization = `Bearer ${ADMIN_TOKEN}`;
        else if (input.auth === "garbage") headers.authorization = input.garbage;
        const url = `http://localhost${route.path(encodeURIComponent(id))}${input.query}`;
        const request = tryRequest(url, { method: route.method, headers, body: route.method === "GET" ? undefined : input.body });
        return request && Object.assign(request, { fuzzId: id, fuzzRoute: input.route });
      },
      send: (request) => {
        const { fuzzId, fuzzRoute } = request as Request & { fuzzId: string; fuzzRoute: number };
        return adminRoutes[fuzzRoute]!.handler(request, fuzzId);
      },
      // No console account exists, so no generated sign-in can succeed: only the token may write.
      mayWrite: (input) => input.auth === "token",
    });
    record("admin API", tally);
  });
});

// ---- health and metrics ----

describe("fuzzing health and metrics", () => {
  it(`answers ${FUZZ_RUNS} generated health requests without a 5xx (but readiness's 503) or a write`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const tally = await fuzzEndpoint({
      name: "GET /api/health",
      db: stack.db,
      arbitrary: fc.record({ query: queryString, headers: extraHeaders }),
      build: (input) => tryRequest(`http://localhost/api/health${input.query}`, { headers: input.headers }),
      send: (request) => healthRoute.GET(request),
      mayWrite: () => false,
      // Readiness (?ready=...) answers 503 with its reasons when no worker beats (none runs here): the contract.
      allowed: (response, input) => response.status === 503 && input.query.includes("ready="),
    });
    record("health", tally);
  });

  it(`answers ${FUZZ_RUNS} generated metrics requests without a 5xx or a write`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const metricsTally = await fuzzEndpoint({
      name: "GET /api/metrics",
      db: stack.db,
      arbitrary: fc.record({ auth: sometimesValid("token", ["garbage", "none"]), garbage: headerValue, query: queryString, headers: extraHeaders }),
      build: (input) => {
        const headers: Record<string, string> = { ...input.headers };
        if (input.auth === "token") headers.authorization = `Bearer ${METRICS_TOKEN}`;
        else if (input.auth === "garbage") headers.authorization = input.garbage;
        return tryRequest(`http://localhost/api/metrics${input.query}`, { headers });
      },
      send: (request) => metricsRoute.GET(request),
      mayWrite: () => false,
    });
    record("metrics", metricsTally);
  });
});
