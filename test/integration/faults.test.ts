import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { BudgetExhaustedError, createRequestBudget } from "../../lib/jobs/budget";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase } from "../../lib/sandbox/stripe-events";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

async function purchase() {
  const p = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  return p;
}

async function record(email: string) {
  const rec = await getCustomerRecord(stack.db, (await findCustomerId(stack.db, email))!);
  return rec!;
}

const jobsOf = (kind: string) =>
  stack.db.sql<{ status: string; attempts: number; lastError: string | null }>(`SELECT status::text, attempts, "lastError" FROM "Job" WHERE kind = $1`, [kind]);

function converged(p: { email: string }) {
  expect(stack.circle.memberCount()).toBe(1);
  expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
  expect(stack.kit.tagsOf(p.email).sort()).toEqual([stack.ids.activeTag, stack.ids.onboardingTag].sort());
}

describe("provider faults", () => {
  it("retries Circle 5xx until the grant lands, once", async () => {
    stack.circle.fail({ status: 503, times: 2 });
    stack.circle.fail({ status: 500, method: "POST", times: 1 });
    const p = await purchase();
    await stack.drain();
    converged(p);
    const [grant] = await jobsOf("circle.grant");
    expect(grant).toMatchObject({ status: "succeeded" });
    expect(grant!.attempts).toBeGreaterThan(1);
  });

  it("honours Circle's Retry-After on 429", async () => {
    stack.circle.fail({ status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const p = await purchase();
    await stack.drain();
    converged(p);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const [budget] = await stack.db.sql<{ blockedUntil: Date | null }>(`SELECT "blockedUntil" FROM "ProviderBudget" WHERE key = 'circle:test'`);
    expect(budget?.blockedUntil).not.toBeNull();
  });

  it("pauses the Kit budget on a 429 without Retry-After and converges", async () => {
    stack.kit.fail({ status: 429, times: 2 });
    const p = await purchase();
    await stack.drain();
    converged(p);
    const [budget] = await stack.db.sql<{ blockedUntil: Date | null }>(`SELECT "blockedUntil" FROM "ProviderBudget" WHERE key = 'kit:test'`);
    expect(budget?.blockedUntil).not.toBeNull();
  });

  it("does not double a Circle member when the create succeeded but the answer timed out", async () => {
    stack.circle.fail({ timeoutMs: 1_000, applyThenHang: true, method: "POST", path: "/community_members", times: 1 });
    const p = await purchase();
    await stack.drain();
    converged(p);
    // The retry's create is answered "already a member" and adopts that member.
    const creates = stack.circle.requests().filter((r) => r.method === "POST" && r.path === "/community_members");
    expect(creates.filter((r) => r.status !== null && r.status < 300)).toHaveLength(0);
    expect(creates.filter((r) => r.status === 422)).toHaveLength(1);
  });

  it("does not double a Kit tag when tagging succeeded but the answer timed out", async () => {
    stack.kit.fail({ timeoutMs: 1_000, applyThenHang: true, method: "POST", path: /^\/v4\/tags\/\d+\/subscribers$/, times: 2 });
    const p = await purchase();
    await stack.drain();
    converged(p);
    expect((await record(p.email)).tags.every((tag) => tag.state === "applied")).toBe(true);
  });

  it("survives slow but successful answers", async () => {
    stack.circle.latencyMs = 150;
    stack.kit.latencyMs = 150;
    const p = await purchase();
    await stack.drain();
    converged(p);
  });

  it("dead-letters after the last attempt, marks the grant failed, and re-grants on the next event", async () => {
    stack.circle.fail({ status: 500, times: 1_000 });
    const p = await purchase();
    await stack.drain();
    const [grant] = await jobsOf("circle.grant");
    expect(grant).toMatchObject({ status: "dead", attempts: 8 });
    expect(grant!.lastError).toContain("server_error");
    let rec = await record(p.email);
    expect(rec.access).toMatchObject([{ state: "failed" }]);
    expect(rec.access[0]!.lastError).toBeTruthy();
    expect(rec.jobs.dead).toBe(1);

    stack.circle.reset();
    stack.circle.addAccessGroup("Community");
    stack.circle.addAccessGroup("Masterclass");
    expect((await stack.postStripe(invoiceEvent(p, "invoice.paid", { created: p.at + 60 }))).status).toBe(200);
    await stack.drain();
    rec = await record(p.email);
    expect(rec.access).toMatchObject([{ state: "invited" }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
  });

  it("dead-letters a permanent error at once", async () => {
    const p = newPurchase();
    stack.circle.reset();
    // The access group does not exist in Circle: a 404 no retry can fix.
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    await stack.drain();
    const [grant] = await jobsOf("circle.grant");
    expect(grant).toMatchObject({ status: "dead", attempts: 1 });
  });
});

describe("request budget", () => {
  it("refuses past its limit until the window ends, and when paused", async () => {
    const budget = createRequestBudget(stack.db, "unit:budget", { limit: 2, windowMs: 60_000 });
    await budget.take();
    await budget.take();
    const refused = await budget.take().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    expect((refused as BudgetExhaustedError).retryAfterMs).toBeGreaterThan(50_000);

    const paused = createRequestBudget(stack.db, "unit:paused", { limit: 100, windowMs: 1_000 });
    await paused.take();
    await paused.pause(5_000);
    const blocked = await paused.take().catch((error: unknown) => error);
    expect((blocked as BudgetExhaustedError).retryAfterMs).toBeGreaterThan(4_000);
  });

  it("slides: a request leaves the window a window after it was granted, so no boundary lets twice the limit through", async () => {
    const windowMs = 1_500;
    const budget = createRequestBudget(stack.db, "unit:sliding", { limit: 3, windowMs });
    await budget.take();
    const firstGranted = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 900));
    const beforeSecond = Date.now();
    await budget.take();
    await budget.take();
    const afterThird = Date.now();
    // Where a fixed window would reset and grant three more, the first request's place frees
    // up, and only its place.
    await new Promise((resolve) => setTimeout(resolve, firstGranted + windowMs + 100 - Date.now()));
    await expect(budget.take()).resolves.toBeUndefined();
    const refusedAt = Date.now();
    const refused = await budget.take().catch((error: unknown) => error);
    const answeredAt = Date.now();
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    // The next place frees when the second request leaves the window (50 ms for clock reads).
    const retryAfterMs = (refused as BudgetExhaustedError).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThanOrEqual(beforeSecond + windowMs - answeredAt - 50);
    expect(retryAfterMs).toBeLessThanOrEqual(afterThird + windowMs - refusedAt + 50);
  });

  it("grants exactly the limit to concurrent takes from several budgets on one key", async () => {
    const workers = Array.from({ length: 4 }, () => createRequestBudget(stack.db, "unit:concurrent", { limit: 5, windowMs: 60_000 }));
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => workers[i % workers.length]!.take()));
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(5);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(BudgetExhaustedError);
    }
    const [row] = await stack.db.sql<{ n: number }>(`SELECT cardinality(recent) AS n FROM "ProviderBudget" WHERE key = 'unit:concurrent'`);
    expect(row?.n).toBe(5);
  });

  it("opens a new window once the old one has passed", async () => {
    const budget = createRequestBudget(stack.db, "unit:window", { limit: 1, windowMs: 200 });
    await budget.take();
    await expect(budget.take()).rejects.toBeInstanceOf(BudgetExhaustedError);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(budget.take()).resolves.toBeUndefined();
  });

  it("parks every queued job of a provider until its budget reopens", async () => {
    await stack.db.sql(`INSERT INTO "ProviderBudget" (key, "blockedUntil") VALUES ('kit:test', now() + interval '1500 milliseconds')`);
    const buyers = [newPurchase(), newPurchase(), newPurchase()];
    for (const p of buyers) expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    // Three applies; then three grants and one Kit job (4 slots, by priority), which finds the
    // budget closed. The other five Kit jobs must be parked without having been claimed.
    for (let i = 0; i < 2; i++) await stack.worker.runOnce();
    const waiting = await stack.db.sql<{ attempts: number; early: boolean }>(
      `SELECT attempts, "runAt" < (SELECT "blockedUntil" FROM "ProviderBudget" WHERE key = 'kit:test') - interval '100 milliseconds' AS early
         FROM "Job" WHERE kind = 'kit.tag' AND status = 'queued'`,
    );
    expect(waiting).toHaveLength(6);
    expect(waiting.every((job) => job.attempts === 0 && !job.early)).toBe(true);

    await stack.drain();
    for (const p of buyers) expect(stack.kit.tagsOf(p.email)).toHaveLength(2);
    expect((await jobsOf("kit.tag")).every((job) => job.status === "succeeded" && job.attempts === 1)).toBe(true);
  });

  it("does not claim a provider's new jobs while its budget is known to be spent", async () => {
    await stack.db.sql(`INSERT INTO "ProviderBudget" (key, "blockedUntil") VALUES ('kit:test', now() + interval '1500 milliseconds')`);
    const first = await purchase();
    // The apply; then the grant and the two Kit jobs, which find the budget closed.
    for (let i = 0; i < 2; i++) await stack.worker.runOnce();
    const second = await purchase();
    // The second apply, then its grant: its Kit jobs are due but left queued, never claimed.
    for (let i = 0; i < 2; i++) await stack.worker.runOnce();
    const secondCustomer = await findCustomerId(stack.db, second.email);
    const untouched = await stack.db.sql<{ attempts: number; lastError: string | null }>(
      `SELECT attempts, "lastError" FROM "Job" WHERE kind = 'kit.tag' AND status = 'queued' AND "customerId" = $1`,
      [secondCustomer],
    );
    expect(untouched).toEqual([
      { attempts: 0, lastError: null },
      { attempts: 0, lastError: null },
    ]);
    expect(stack.circle.membersOf(stack.ids.communityGroup).sort()).toEqual([first.email, second.email].sort());

    await stack.drain();
    for (const p of [first, second]) expect(stack.kit.tagsOf(p.email)).toHaveLength(2);
    expect((await jobsOf("kit.tag")).every((job) => job.status === "succeeded" && job.attempts === 1)).toBe(true);
  });

  it("delays jobs without spending their attempts when the budget is exhausted", async () => {
    await stack.db.sql(`INSERT INTO "ProviderBudget" (key, "blockedUntil") VALUES ('circle:test', now() + interval '600 milliseconds')`);
    const p = await purchase();
    await stack.drain();
    converged(p);
    const [grant] = await jobsOf("circle.grant");
    expect(grant).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});
