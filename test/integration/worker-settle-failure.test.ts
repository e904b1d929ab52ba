import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../lib/db";
import { jobRow } from "../../lib/jobs/kinds";
import { deferProviderJobs, enqueue } from "../../lib/jobs/queue";
import { createWorker } from "../../lib/jobs/worker";
import { startStack, TEST_BACKOFF, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase } from "../../lib/sandbox/stripe-events";

// The worker's own bookkeeping can fail (a deadlock, the database lost for a moment). Found by the
// time-to-first-token bench: two workers deferring one provider's jobs at once deadlocked, and the
// error rejected into the loop, where nothing caught it. A failed settle must leave the job to its
// lease, and the process running.

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ providerTimeoutMs: 5_000 });
});
afterEach(async () => {
  await stack.stop();
});

/** The stack's database, whose first statement putting a failed job back in the queue fails as a deadlock would. */
function failingFirstReschedule(db: Database): { db: Database; failures: () => number } {
  let failures = 0;
  const sql: Database["sql"] = async (text, ...rest) => {
    if (failures === 0 && text.includes(`SET status = 'queued', "runAt" = $3`)) {
      failures++;
      throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
    }
    return db.sql(text, ...rest);
  };
  return { db: Object.assign(Object.create(db) as Database, { sql }), failures: () => failures };
}

describe("worker: a settle that fails", () => {
  it("keeps the loop running and runs the job again after its lease, with one side effect", async () => {
    const purchase = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(purchase))).status).toBe(200);
    // Circle's first answer is a 503: the grant fails its attempt, and settling that failure fails too.
    stack.circle.fail({ status: 503, times: 1 });
    const failing = failingFirstReschedule(stack.db);
    const worker = createWorker({ db: failing.db, handlers: stack.handlers, pollMs: 10, leaseMs: 300, backoff: TEST_BACKOFF });
    worker.start();
    try {
      await expect
        .poll(() => stack.circle.membersOf(stack.ids.communityGroup), { timeout: 20_000, interval: 50 })
        .toContain(purchase.email);
      await expect
        .poll(async () => (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" <= now()`))[0]!.n, {
          timeout: 20_000,
          interval: 50,
        })
        .toBe(0);
    } finally {
      await worker.stop();
    }
    expect(failing.failures()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup).filter((email) => email === purchase.email)).toHaveLength(1);
  });
});

describe("deferProviderJobs", () => {
  it("defers every due job of the provider when many deferrals run at once, and none of another provider's", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => [
      jobRow("kit.tag", { customerId: `c${i}`, tagId: 1, version: 1 }),
      jobRow("circle.grant", { customerId: `c${i}`, accessGroupId: 1, version: 1 }),
    ]).flat();
    await enqueue(stack.db, rows);
    const until = new Date(Date.now() + 60_000);
    const deferred = await Promise.all(Array.from({ length: 16 }, () => deferProviderJobs(stack.db, "kit", until)));
    // Each job is moved once, by one of them: the counts add up to the provider's jobs.
    expect(deferred.reduce((sum, count) => sum + count, 0)).toBe(200);
    const [row] = await stack.db.sql<{ kitDue: number; kitDeferred: number; circleDue: number }>(
      `SELECT count(*) FILTER (WHERE kind LIKE 'kit.%' AND "runAt" < $1)::int AS "kitDue",
              count(*) FILTER (WHERE kind LIKE 'kit.%' AND "runAt" = $1)::int AS "kitDeferred",
              count(*) FILTER (WHERE kind LIKE 'circle.%' AND "runAt" <= now())::int AS "circleDue"
         FROM "Job" WHERE status = 'queued'`,
      [until],
    );
    expect(row).toEqual({ kitDue: 0, kitDeferred: 200, circleDue: 200 });
  });
});
