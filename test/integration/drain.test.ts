import crypto from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseEnv } from "../../lib/config";
import { drainDeps, handleDrainRequest, type DrainAnswer, type DrainDeps, type DrainPublisher } from "../../lib/drain-route";
import type { WorkerOptions } from "../../lib/jobs/worker";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { handlersForFakes } from "../../lib/sandbox/handlers";
import { startStack, TEST_BACKOFF, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";

// POST /api/jobs/drain: the outbox drained by calls alone, with no worker process, through the
// worker's own claim-and-settle path; authorised by the cron secret or a QStash signature, and
// refused (running nothing) otherwise.

const CRON_SECRET = "cron-secret-for-the-drain-test";
const CURRENT_KEY = "sig_current_key_for_the_drain_test";
const NEXT_KEY = "sig_next_key_for_the_drain_test";
const PUBLIC_URL = "https://support.example.com";
const DRAIN_URL = "https://support.example.com/api/jobs/drain";

let stack: Stack;
let published: Array<{ url: string; delaySeconds: number }>;
beforeEach(async () => {
  // Effects are counted in the fakes' request logs: a slow answer under load must not be retried.
  stack = await startStack({ providerTimeoutMs: 10_000 });
  published = [];
});
afterEach(async () => {
  await stack.stop();
});

const recordingPublisher: DrainPublisher = async (message) => {
  published.push(message);
};

const workerOptions = (overrides: Partial<WorkerOptions> = {}): WorkerOptions => ({
  db: stack.db,
  handlers: stack.handlers,
  concurrency: 4,
  leaseMs: 5_000,
  backoff: TEST_BACKOFF,
  ...overrides,
});

/** The route's dependencies as the runtime builds them (from the env), with a publisher that records. */
function deps(env: Record<string, string> = { CRON_SECRET, QSTASH_CURRENT_SIGNING_KEY: CURRENT_KEY, QSTASH_NEXT_SIGNING_KEY: NEXT_KEY, PUBLIC_URL }, worker = workerOptions()): DrainDeps {
  return { ...drainDeps(parseEnv({ APP_MODE: "demo", ...env }), worker), publish: recordingPublisher };
}

function drainRequest(headers: Record<string, string> = { authorization: `Bearer ${CRON_SECRET}` }, body = "", url = DRAIN_URL) {
  return new Request(url, { method: "POST", headers, body });
}

async function drain(with_: DrainDeps = deps(), request = drainRequest()): Promise<DrainAnswer> {
  const response = await handleDrainRequest(request, with_);
  expect(response.status).toBe(200);
  return (await response.json()) as DrainAnswer;
}

/** A QStash signature as QStash makes it: an HS256 JWT over the URL (`sub`) and the body's SHA-256 (`body`). */
async function qstashSignature(key: string, options: { url?: string; body?: string; expiresIn?: number; issuer?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const bodyHash = crypto
    .createHash("sha256")
    .update(options.body ?? "")
    .digest("base64url");
  return new SignJWT({ body: bodyHash })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(options.issuer ?? "Upstash")
    .setSubject(options.url ?? DRAIN_URL)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (options.expiresIn ?? 300))
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(key));
}

async function purchases(count: number): Promise<Purchase[]> {
  const bought = Array.from({ length: count }, () => newPurchase());
  for (const p of bought) expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  return bought;
}

async function record(email: string) {
  const rec = await getCustomerRecord(stack.db, (await findCustomerId(stack.db, email))!);
  return rec!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nothing running, and nothing due within the test backoff's reach (its retries wait 200 ms at most). */
async function settledQueue() {
  const [row] = await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" < now() + interval '1 second'`);
  return row!.n === 0;
}

/** Calls `round` (one or more drains) until the queue is settled; returns every answer. */
async function drainUntilSettled(round: () => Promise<DrainAnswer[]>, maxRounds = 40): Promise<DrainAnswer[]> {
  const answers: DrainAnswer[] = [];
  for (let i = 0; i < maxRounds; i++) {
    answers.push(...(await round()));
    if (await settledQueue()) return answers;
    await sleep(50);
  }
  throw new Error(`the queue did not settle in ${maxRounds} rounds of drains`);
}

/** Circle member creations and Kit tag calls that succeeded, from the fakes' request logs. */
function effects() {
  const ok = (status: number | null) => status !== null && status < 300;
  const circle = stack.circle.requests().filter((r) => r.method === "POST" && ok(r.status));
  return {
    circleCreates: circle.filter((r) => r.path === "/community_members").length,
    circleGroupAdds: circle.filter((r) => /^\/access_groups\/\d+\/community_members$/.test(r.path)).length,
    kitTags: stack.kit.requests().filter((r) => r.method === "POST" && /^\/v4\/tags\/\d+\/subscribers$/.test(r.path) && ok(r.status)).length,
  };
}

function converged(bought: Purchase[]) {
  expect(stack.circle.membersOf(stack.ids.communityGroup).sort()).toEqual(bought.map((p) => p.email).sort());
  for (const p of bought) expect(stack.kit.tagsOf(p.email).sort()).toEqual([stack.ids.activeTag, stack.ids.onboardingTag].sort());
}

const jobs = () =>
  stack.db.sql<{ id: string; kind: string; status: string; attempts: number; lockedBy: string | null; updatedAt: Date; runAt: Date }>(
    // Invitation follow-ups, the next reconciliation and the next prune are scheduled ahead: not these tests' work.
    `SELECT id, kind, status::text AS status, attempts, "lockedBy", "updatedAt", "runAt" FROM "Job" WHERE kind NOT IN ('circle.invitation_check', 'reconcile.run', 'jobs.prune') ORDER BY id`,
  );

describe("drain: convergence without a worker process", () => {
  it("converges purchases delivered to the webhook route through repeated drain calls alone, through retries", async () => {
    stack.circle.fail({ status: 503, times: 2 });
    stack.kit.fail({ status: 500, times: 1 });
    const bought = await purchases(3);
    const answers = await drainUntilSettled(async () => [await drain()]);

    converged(bought);
    expect(effects()).toEqual({ circleCreates: 3, circleGroupAdds: 3, kitTags: 6 });
    const all = await jobs();
    expect(all.every((job) => job.status === "succeeded")).toBe(true);
    // What the drains said they did is what the outbox shows.
    const sum = (key: "ran" | "succeeded" | "retried" | "dead") => answers.reduce((total, answer) => total + answer[key], 0);
    expect(sum("succeeded")).toBe(all.length);
    expect(sum("retried")).toBe(all.reduce((total, job) => total + job.attempts - 1, 0));
    expect(sum("retried")).toBeGreaterThanOrEqual(3);
    expect(sum("dead")).toBe(0);
    expect(sum("ran")).toBe(sum("succeeded") + sum("retried"));
    expect(answers.at(-1)).toMatchObject({ remaining: 0, oldestDueAgeMs: null, retriggered: false });
    // Nothing remained at the end of any drain that finished its work, so nothing was re-triggered.
    expect(published).toEqual(answers.filter((answer) => answer.remaining > 0).map(() => ({ url: DRAIN_URL, delaySeconds: 1 })));
  });

  it("ends a grace window through a drain: access revoked and a billing ticket opened", async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const graceSeconds = 7 * 86400;
    const p = newPurchase({ at: nowSeconds - graceSeconds - 600 });
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    expect((await stack.postStripe(invoiceEvent(p, "invoice.paid"))).status).toBe(200);
    // The payment failed just under seven days (the catalog's grace) ago: the grace ends in 5 s.
    const failedAt = nowSeconds - graceSeconds + 5;
    expect((await stack.postStripe(invoiceEvent(p, "invoice.payment_failed", { created: failedAt, invoiceId: "in_failed_1" }))).status).toBe(200);
    await drainUntilSettled(async () => [await drain()]);

    let rec = await record(p.email);
    expect(rec.entitlements).toMatchObject([{ status: "past_due" }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.kit.tagsOf(p.email)).toContain(stack.ids.pastDueTag);
    expect(rec.tickets).toHaveLength(0);
    // The customer's next recheck (the period's end comes later) is the grace window's end.
    const [recheck] = (await jobs()).filter((job) => job.kind === "lifecycle.recheck" && job.status === "queued").sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
    expect(recheck!.runAt.getTime()).toBe(failedAt * 1000 + graceSeconds * 1000);

    // Before the window ends a drain finds nothing due.
    expect(await drain()).toMatchObject({ ran: 0, remaining: 0 });
    await sleep(Math.max(0, recheck!.runAt.getTime() - Date.now()) + 100);
    await drainUntilSettled(async () => [await drain()]);

    rec = await record(p.email);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect(rec.access).toMatchObject([{ state: "revoked" }]);
    expect(rec.tickets).toMatchObject([{ category: "billing", source: "system", status: "open" }]);
    expect(rec.tickets[0]!.journeyId).toBe(rec.journeys.find((journey) => journey.kind === "payment_failure")!.id);
  });
});

describe("drain: the reconciliation schedule", () => {
  it("keeps one reconciliation scheduled for the next slot however many drains run, and none when the interval is 0", async () => {
    const scheduled = async () =>
      (await stack.db.sql<{ runAt: Date }>(`SELECT "runAt" FROM "Job" WHERE kind = 'reconcile.run' AND status = 'queued'`)).map((row) => row.runAt.getTime());
    const env = { CRON_SECRET, RECONCILE_INTERVAL_MINUTES: "60" };
    const before = await scheduled();
    await drain(deps(env));
    await drain(deps(env));
    const after = await scheduled();
    const slot = Math.floor(Date.now() / 3_600_000 + 1) * 3_600_000;
    expect(after.filter((at) => at === slot)).toHaveLength(1);
    expect(after.length - before.length).toBeLessThanOrEqual(1);

    const off = await scheduled();
    await drain(deps({ CRON_SECRET, RECONCILE_INTERVAL_MINUTES: "0" }));
    expect(await scheduled()).toEqual(off);
  });

  it("keeps the outbox's hourly prune scheduled too, once per slot", async () => {
    await drain(deps({ CRON_SECRET }));
    await drain(deps({ CRON_SECRET }));
    const prunes = await stack.db.sql<{ runAt: Date }>(`SELECT "runAt" FROM "Job" WHERE kind = 'jobs.prune' AND status = 'queued'`);
    expect(prunes.map((row) => row.runAt.getTime())).toEqual([Math.floor(Date.now() / 3_600_000 + 1) * 3_600_000]);
  });
});

describe("drain: side by side", () => {
  it("two drains started together produce exactly one effect each, and run no job twice", async () => {
    stack.circle.latencyMs = 30;
    stack.kit.latencyMs = 30;
    const bought = await purchases(8);
    const first = await Promise.all([drain(), drain()]);
    // Both found work: the applies were split between them, not run twice.
    expect(first[0]!.ran).toBeGreaterThan(0);
    expect(first[1]!.ran).toBeGreaterThan(0);
    const answers = [...first, ...(await drainUntilSettled(() => Promise.all([drain(), drain()])))];

    converged(bought);
    expect(effects()).toEqual({ circleCreates: 8, circleGroupAdds: 8, kitTags: 16 });
    const all = await jobs();
    expect(all.every((job) => job.status === "succeeded" && job.attempts === 1)).toBe(true);
    expect(answers.reduce((total, answer) => total + answer.ran, 0)).toBe(all.length);
  });

  it("a drain beside a running worker produces exactly one effect each", async () => {
    stack.circle.latencyMs = 30;
    stack.kit.latencyMs = 30;
    const bought = await purchases(8);
    stack.worker.start();
    try {
      await drainUntilSettled(async () => [await drain()]);
    } finally {
      await stack.worker.stop();
    }

    converged(bought);
    expect(effects()).toEqual({ circleCreates: 8, circleGroupAdds: 8, kitTags: 16 });
    const all = await jobs();
    expect(all.every((job) => job.status === "succeeded" && job.attempts === 1)).toBe(true);
    // The worker and the drains shared the queue.
    const byWorker = all.filter((job) => job.lockedBy === stack.worker.id).length;
    const byDrains = all.filter((job) => job.lockedBy?.startsWith("drain:")).length;
    expect(byWorker).toBeGreaterThan(0);
    expect(byDrains).toBeGreaterThan(0);
    expect(byWorker + byDrains).toBe(all.length);
  });
});

describe("drain: authorisation", () => {
  async function refusedAndUntouched(request: Request, with_ = deps(), status = 401) {
    const before = await jobs();
    const response = await handleDrainRequest(request, with_);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: string };
    expect(typeof body.error).toBe("string");
    // The secrets are never echoed.
    for (const secret of [CRON_SECRET, CURRENT_KEY, NEXT_KEY]) expect(JSON.stringify(body)).not.toContain(secret);
    expect(await jobs()).toEqual(before);
    expect(stack.circle.requests()).toEqual([]);
    expect(stack.kit.requests()).toEqual([]);
    expect(published).toEqual([]);
  }

  beforeEach(async () => {
    await purchases(2);
  });

  it("refuses a call without a credential", async () => {
    await refusedAndUntouched(drainRequest({}));
  });

  it.each([
    ["a wrong secret", `Bearer ${CRON_SECRET}x`],
    ["a prefix of the secret", `Bearer ${CRON_SECRET.slice(0, -1)}`],
    ["the secret under another scheme", `Basic ${CRON_SECRET}`],
    ["an empty bearer", "Bearer "],
  ])("refuses %s", async (_case, authorization) => {
    await refusedAndUntouched(drainRequest({ authorization }));
  });

  it("refuses the cron secret when none is configured (QStash only)", async () => {
    await refusedAndUntouched(drainRequest(), deps({ QSTASH_CURRENT_SIGNING_KEY: CURRENT_KEY, QSTASH_NEXT_SIGNING_KEY: NEXT_KEY }));
  });

  it.each([
    ["signed with another key", () => qstashSignature("sig_some_other_key_entirely"), ""],
    ["for another URL", () => qstashSignature(CURRENT_KEY, { url: "https://evil.example.com/api/jobs/drain" }), ""],
    ["over another body", () => qstashSignature(CURRENT_KEY, { body: "{}" }), '{"x":1}'],
    ["expired", () => qstashSignature(CURRENT_KEY, { expiresIn: -10 }), ""],
    ["from another issuer", () => qstashSignature(CURRENT_KEY, { issuer: "Someone" }), ""],
    ["not a JWT", async () => "not-a-jwt", ""],
  ])("refuses a QStash signature %s", async (_case, sign, body) => {
    await refusedAndUntouched(drainRequest({ "upstash-signature": await sign() }, body));
  });

  it("answers 404 when neither the cron secret nor QStash's keys are configured, running nothing", async () => {
    await refusedAndUntouched(drainRequest(), deps({}), 404);
  });

  it("refuses a body over 64 KiB before running anything", async () => {
    await refusedAndUntouched(drainRequest({ authorization: `Bearer ${CRON_SECRET}` }, "x".repeat(64 * 1024 + 1)), deps(), 413);
  });

  it("accepts the cron secret (GET, as Vercel Cron calls) and QStash signatures with the current or the next key", async () => {
    const get = new Request(DRAIN_URL, { method: "GET", headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect((await drain(deps(), get)).ran).toBeGreaterThan(0);
    await purchases(1);
    const body = '{"scheduled":true}';
    expect((await drain(deps(), drainRequest({ "upstash-signature": await qstashSignature(CURRENT_KEY, { body }) }, body))).ran).toBeGreaterThan(0);
    await purchases(1);
    // During a key rotation QStash signs with the next key.
    expect((await drain(deps(), drainRequest({ "upstash-signature": await qstashSignature(NEXT_KEY) }))).ran).toBeGreaterThan(0);
    await purchases(1);
    // Without PUBLIC_URL the signature is checked against the URL the request arrived at.
    const internal = "http://10.0.0.5:3000/api/jobs/drain";
    const withoutPublicUrl = deps({ QSTASH_CURRENT_SIGNING_KEY: CURRENT_KEY, QSTASH_NEXT_SIGNING_KEY: NEXT_KEY });
    const signed = drainRequest({ "upstash-signature": await qstashSignature(CURRENT_KEY, { url: internal }) }, "", internal);
    expect((await drain(withoutPublicUrl, signed)).ran).toBeGreaterThan(0);
  });
});

describe("drain: time budget and re-trigger", () => {
  it("stops claiming when the budget is spent under a slow Circle, awaits what it started, reports what remains and re-triggers itself", async () => {
    // Each Circle request takes a second; a grant is two of them (create, then add to the group).
    const circleUrl = (await stack.circle.start()).url;
    const kitUrl = (await stack.kit.start()).url;
    const patient = handlersForFakes({ db: stack.db, catalog: stack.catalog, circleUrl, kitUrl, timeoutMs: 5_000 });
    stack.circle.latencyMs = 1_000;
    const grantMs = 2 * 1_000;
    await purchases(6);
    const budgetMs = 2_000;
    const slow = { ...deps(undefined, workerOptions({ handlers: patient })), budget: { budgetMs, jobMs: 1_000 } };

    const started = Date.now();
    const answer = await drain(slow);
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(budgetMs + grantMs + 500);
    expect(answer.ran).toBeGreaterThan(0);
    expect(answer.remaining).toBeGreaterThan(0);
    expect(answer.oldestDueAgeMs).toBeGreaterThanOrEqual(0);
    // Everything it claimed, it finished: no job is left running under its lease.
    expect((await jobs()).filter((job) => job.status === "running")).toEqual([]);
    expect(answer.retriggered).toBe(true);
    expect(published).toEqual([{ url: DRAIN_URL, delaySeconds: 1 }]);
  }, 30_000);

  it("does not re-trigger when nothing remains, and answers 200 when the re-trigger cannot be published", async () => {
    await purchases(1);
    await drainUntilSettled(async () => [await drain()]);
    expect(published).toEqual([]);

    await purchases(5);
    const failing: DrainDeps = {
      ...deps(),
      budget: { budgetMs: 1_000, jobMs: 1_000 },
      publish: async () => {
        throw new Error("QStash is unreachable");
      },
    };
    // One batch (four of the five applies) fits in this budget: the rest remains.
    const answer = await drain(failing);
    expect(answer).toMatchObject({ ran: 4, retriggered: false });
    expect(answer.remaining).toBeGreaterThan(0);
  });

  it("publishes the re-trigger through @upstash/qstash's Client to its own URL, a second later", async () => {
    const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
    const qstash = createServer((req, res) => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      req.resume();
      req.on("end", () => res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ messageId: "msg_test" })));
    });
    await new Promise<void>((resolve) => qstash.listen(0, "127.0.0.1", resolve));
    try {
      const env = parseEnv({
        APP_MODE: "demo",
        CRON_SECRET,
        QSTASH_CURRENT_SIGNING_KEY: CURRENT_KEY,
        QSTASH_NEXT_SIGNING_KEY: NEXT_KEY,
        QSTASH_TOKEN: "qstash-token-for-the-drain-test",
        QSTASH_URL: `http://127.0.0.1:${(qstash.address() as AddressInfo).port}`,
        PUBLIC_URL,
      });
      const real = { ...drainDeps(env, workerOptions()), budget: { budgetMs: 1_000, jobMs: 1_000 } };
      expect(real.publish).not.toBeNull();
      await purchases(5);
      const answer = await drain(real);
      expect(answer).toMatchObject({ ran: 4, retriggered: true });
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: "POST", url: `/v2/publish/${DRAIN_URL}` });
      expect(received[0]!.headers).toMatchObject({ authorization: "Bearer qstash-token-for-the-drain-test", "upstash-delay": "1s", "upstash-method": "POST" });
    } finally {
      await new Promise((resolve) => qstash.close(resolve));
    }
  });

  it("has no publisher without QSTASH_TOKEN", () => {
    expect(drainDeps(parseEnv({ APP_MODE: "demo", CRON_SECRET, PUBLIC_URL }), workerOptions()).publish).toBeNull();
  });
});
