import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listJobs, type AdminDeps } from "../../lib/admin/api";
import { parseEnv } from "../../lib/config";
import { jobRow } from "../../lib/jobs/kinds";
import { claimJobs, deadLetterJob, enqueue, replayDeadJob, rescheduleJob, type JobFailure } from "../../lib/jobs/queue";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase } from "../../lib/sandbox/stripe-events";

// A job's failure history: every failed attempt and every lost lease is kept on the job (the
// last ten, oldest first), so a dead letter shows how each try failed, not only the last.

const ADMIN_TOKEN = "admin-token-for-the-failures-test-01";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

const failuresOf = async (id: string) => (await stack.db.sql<{ failures: JobFailure[] }>(`SELECT failures FROM "Job" WHERE id = $1`, [id]))[0]!.failures;

let serial = 0;
/** One apply job, claimed by `worker` (its first attempt). */
async function claimedJob(worker = "worker-a", leaseMs = 60_000) {
  serial += 1;
  const row = jobRow("lifecycle.apply", { ledgerId: `failures-${serial}-${Date.now()}` });
  await enqueue(stack.db, [row]);
  await stack.db.sql(`UPDATE "Job" SET priority = -1000 WHERE "dedupeKey" = $1 RETURNING id`, [row.dedupeKey]);
  const claimed = await claimJobs(stack.db, worker, 1, leaseMs);
  expect(claimed.map((job) => job.dedupeKey)).toEqual([row.dedupeKey]);
  return claimed[0]!;
}

/** Claims the job again (it must be the one due) after making it due now. */
async function claimAgain(id: string, worker = "worker-a") {
  await stack.db.sql(`UPDATE "Job" SET "runAt" = now() - interval '1 second' WHERE id = $1 AND status = 'queued' RETURNING id`, [id]);
  const claimed = await claimJobs(stack.db, worker, 1, 60_000);
  expect(claimed.map((job) => job.id)).toEqual([id]);
  return claimed[0]!;
}

describe("job failure history", () => {
  it("keeps each retried attempt's error and the dead letter's, in order, beside the last error", async () => {
    const job = await claimedJob();
    expect(await rescheduleJob(stack.db, job.id, "worker-a", new Date(), "Circle timed out after 1000 ms")).toBe(true);
    await claimAgain(job.id);
    expect(await rescheduleJob(stack.db, job.id, "worker-a", new Date(), "Circle 502")).toBe(true);
    await claimAgain(job.id);
    expect(await deadLetterJob(stack.db, job.id, "worker-a", "Circle 422: email is invalid")).toBe(true);

    const failures = await failuresOf(job.id);
    expect(failures.map(({ attempt, error }) => ({ attempt, error }))).toEqual([
      { attempt: 1, error: "Circle timed out after 1000 ms" },
      { attempt: 2, error: "Circle 502" },
      { attempt: 3, error: "Circle 422: email is invalid" },
    ]);
    for (const failure of failures) expect(Date.now() - new Date(failure.at).getTime()).toBeLessThan(60_000);
    const [row] = await stack.db.sql<{ lastError: string }>(`SELECT "lastError" FROM "Job" WHERE id = $1`, [job.id]);
    expect(row!.lastError).toBe("Circle 422: email is invalid");
  });

  it("records a lost lease as a failure of the attempt that lost it, naming the worker", async () => {
    const job = await claimedJob("worker-that-hung", 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await claimJobs(stack.db, "worker-b", 5, 60_000);
    expect(again.map((claimed) => claimed.id)).toContain(job.id);
    expect((await failuresOf(job.id)).map(({ attempt, error }) => ({ attempt, error }))).toEqual([
      { attempt: 1, error: "its lease ran out before worker-that-hung settled it" },
    ]);
  });

  it("does not count a wait for the request budget (a refunded attempt) as a failure", async () => {
    const job = await claimedJob();
    expect(await rescheduleJob(stack.db, job.id, "worker-a", new Date(), "Circle budget spent until 12:00", { refundAttempt: true })).toBe(true);
    expect(await failuresOf(job.id)).toEqual([]);
  });

  it("keeps the last ten, dropping the oldest", async () => {
    const job = await claimedJob();
    for (let attempt = 1; attempt <= 12; attempt++) {
      if (attempt > 1) await claimAgain(job.id);
      expect(await rescheduleJob(stack.db, job.id, "worker-a", new Date(), `failure ${attempt}`)).toBe(true);
    }
    const failures = await failuresOf(job.id);
    expect(failures.map((failure) => failure.error)).toEqual(Array.from({ length: 10 }, (_, index) => `failure ${index + 3}`));
    expect(failures.map((failure) => failure.attempt)).toEqual(Array.from({ length: 10 }, (_, index) => index + 3));
  });

  it("cuts a long error to 500 characters in the history", async () => {
    const job = await claimedJob();
    await rescheduleJob(stack.db, job.id, "worker-a", new Date(), "x".repeat(1_500));
    expect((await failuresOf(job.id))[0]!.error).toHaveLength(500);
  });

  it("shows a real dead letter's every attempt through the admin jobs API, and keeps them over a replay", async () => {
    stack.circle.fail({ status: 500, times: 1_000 });
    expect((await stack.postStripe(checkoutCompleted(newPurchase()))).status).toBe(200);
    await stack.drain();
    const deps: AdminDeps = { env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }), db: stack.db, sessionSecret: "session-secret-for-the-failures-test-0123456" };
    const response = await listJobs(new Request("http://test/api/admin/jobs?status=dead", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }), deps);
    const { jobs } = (await response.json()) as { jobs: Array<{ id: string; attempts: number; lastError: string; failures: JobFailure[] }> };
    expect(jobs).toHaveLength(1);
    const dead = jobs[0]!;
    expect(dead.failures.map((failure) => failure.attempt)).toEqual(Array.from({ length: Math.min(dead.attempts, 10) }, (_, index) => dead.attempts - Math.min(dead.attempts, 10) + index + 1));
    expect(dead.failures.at(-1)!.error).toBe(dead.lastError);
    expect(dead.failures.every((failure) => /500/.test(failure.error))).toBe(true);

    expect((await replayDeadJob(stack.db, dead.id, { actor: "api-token", reason: "Circle is back" })).replayed).toBe(true);
    expect(await failuresOf(dead.id)).toEqual(dead.failures);
  });
});
