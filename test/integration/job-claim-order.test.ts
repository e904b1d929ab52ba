import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOB_KIND_NAMES, jobRow, type JobKind } from "../../lib/jobs/kinds";
import { CLAIM_JOBS_SQL, claimJobs, claimJobsParams, enqueue, type ClaimedJob } from "../../lib/jobs/queue";
import { createWorker, type JobHandlers } from "../../lib/jobs/worker";
import { createTestDatabase, type TestDatabase } from "../../lib/sandbox/database";

// The order the outbox hands out jobs in: a kind's priority is a head start in seconds, not a
// strict rank. Found by the soak at a fifth of capacity: with strict priority, 10,697 applied
// events had been followed by no Circle grant and no Kit tag at all, because an apply was always due.

let testDb: TestDatabase;
beforeEach(async () => {
  testDb = await createTestDatabase();
});
afterEach(async () => {
  await testDb.drop();
});

let serial = 0;
/** A job of `kind` that has been due for `dueForSeconds` (negative: due in the future). */
function jobDueFor(kind: "lifecycle.apply" | "circle.grant" | "kit.tag", dueForSeconds: number, options: { maxAttempts?: number } = {}) {
  const runAt = new Date(Date.now() - dueForSeconds * 1000);
  serial += 1;
  switch (kind) {
    case "lifecycle.apply":
      return jobRow(kind, { ledgerId: `ledger-${serial}` }, { runAt, ...options });
    case "circle.grant":
      return jobRow(kind, { customerId: `customer-${serial}`, accessGroupId: 1, version: 1 }, { runAt, ...options });
    case "kit.tag":
      return jobRow(kind, { customerId: `customer-${serial}`, tagId: 1, version: 1 }, { runAt, ...options });
  }
}

const claimOne = async (workerId = "test-worker", leaseMs = 60_000) => (await claimJobs(testDb.db, workerId, 1, leaseMs))[0];

describe("claim order", () => {
  it("applies events before side effects enqueued within the side effect's head start", async () => {
    await enqueue(testDb.db, [jobDueFor("circle.grant", 2), jobDueFor("kit.tag", 2), jobDueFor("lifecycle.apply", 1), jobDueFor("lifecycle.apply", 0)]);
    const kinds = [];
    for (let i = 0; i < 4; i++) kinds.push((await claimOne())?.kind);
    expect(kinds).toEqual(["lifecycle.apply", "lifecycle.apply", "circle.grant", "kit.tag"]);
  });

  it("hands out a grant due for longer than its head start before newer applies, however many there are", async () => {
    const applies = Array.from({ length: 200 }, (_, i) => jobDueFor("lifecycle.apply", i / 100));
    await enqueue(testDb.db, [...applies, jobDueFor("circle.grant", 12)]);
    expect((await claimOne())?.kind).toBe("circle.grant");
    expect((await claimOne())?.kind).toBe("lifecycle.apply");
  });

  it("keeps older applies ahead of a grant whose head start has not run out", async () => {
    await enqueue(testDb.db, [jobDueFor("circle.grant", 5), jobDueFor("lifecycle.apply", 30), jobDueFor("lifecycle.apply", 20)]);
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push((await claimOne())?.kind);
    expect(kinds).toEqual(["lifecycle.apply", "lifecycle.apply", "circle.grant"]);
  });

  it("never hands out a job before it is due", async () => {
    await enqueue(testDb.db, [jobDueFor("lifecycle.apply", -5), jobDueFor("circle.grant", -60)]);
    expect(await claimJobs(testDb.db, "test-worker", 5, 60_000)).toEqual([]);
  });

  it("hands out any mix of due jobs in order of due time plus head start, each once", async () => {
    const kinds = ["lifecycle.apply", "circle.grant", "kit.tag"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), dueForSeconds: fc.integer({ min: -30, max: 120 }) }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        async (specs, batch) => {
          await testDb.db.sql(`DELETE FROM "Job"`);
          const rows = specs.map((spec) => jobDueFor(spec.kind, spec.dueForSeconds));
          await enqueue(testDb.db, rows);
          const startsAt = new Map(rows.map((row) => [row.dedupeKey, Date.parse(row.runAt) + row.priority * 1000]));
          // A batch is run at once, so it comes back in no order of its own: each batch must be
          // the earliest of what was left.
          const order: number[] = [];
          const claimed: ClaimedJob[] = [];
          for (;;) {
            const jobs = await claimJobs(testDb.db, "test-worker", batch, 60_000);
            if (jobs.length === 0) break;
            claimed.push(...jobs);
            order.push(...jobs.map((job) => startsAt.get(job.dedupeKey)!).sort((a, b) => a - b));
          }
          expect(new Set(claimed.map((job) => job.dedupeKey)).size).toBe(claimed.length);
          expect(claimed.length).toBe(rows.filter((row) => Date.parse(row.runAt) <= Date.now()).length);
          expect(order).toEqual([...order].sort((a, b) => a - b));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("a lease that runs out", () => {
  it("is claimed again without spending an attempt, and counted as lost", async () => {
    await enqueue(testDb.db, [jobDueFor("circle.grant", 1)]);
    const first = await claimOne("dead-worker", 1);
    expect(first).toMatchObject({ attempts: 1, leasesLost: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await claimOne("live-worker");
    expect(again).toMatchObject({ id: first!.id, attempts: 1, leasesLost: 1 });
    const [row] = await testDb.db.sql<{ lockedBy: string }>(`SELECT "lockedBy" FROM "Job" WHERE id = $1`, [first!.id]);
    expect(row?.lockedBy).toBe("live-worker");
  });

  it("is not claimed while it holds", async () => {
    await enqueue(testDb.db, [jobDueFor("circle.grant", 1)]);
    await claimOne("worker-a");
    expect(await claimOne("worker-b")).toBeUndefined();
  });

  it("gives a job up once its lease has run out as many times as it may be attempted", async () => {
    await enqueue(testDb.db, [jobDueFor("circle.grant", 1, { maxAttempts: 3 })]);
    const runs: string[] = [];
    const handler = { run: async (_payload: unknown, job: ClaimedJob) => void runs.push(job.id) };
    const handlers = Object.fromEntries(JOB_KIND_NAMES.map((kind: JobKind) => [kind, handler])) as unknown as JobHandlers;
    // Two lost leases: the job still runs.
    await testDb.db.sql(`UPDATE "Job" SET status = 'running', "leaseUntil" = now() - interval '1 second', "leasesLost" = 1, attempts = 1`);
    const worker = createWorker({ db: testDb.db, handlers, leaseMs: 60_000 });
    expect(await worker.runOnce()).toBe(1);
    expect(runs).toHaveLength(1);
    const [succeeded] = await testDb.db.sql<{ status: string; attempts: number; leasesLost: number }>(`SELECT status, attempts, "leasesLost" FROM "Job"`);
    expect(succeeded).toEqual({ status: "succeeded", attempts: 1, leasesLost: 2 });

    // A third: it is dead-lettered without running, saying why.
    await testDb.db.sql(`UPDATE "Job" SET status = 'running', "leaseUntil" = now() - interval '1 second', "finishedAt" = NULL`);
    expect(await worker.runOnce()).toBe(1);
    expect(runs).toHaveLength(1);
    const [dead] = await testDb.db.sql<{ status: string; lastError: string }>(`SELECT status, "lastError" FROM "Job"`);
    expect(dead?.status).toBe("dead");
    expect(dead?.lastError).toMatch(/lease ran out 3 times/);
  });
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  Plans?: PlanNode[];
}
/** Every node of a plan that reads the Job table or one of its indexes, with the rows it read. */
function jobTableReads(node: PlanNode): { node: string; rows: number }[] {
  const own = node["Relation Name"] === "Job" || node["Index Name"]?.startsWith("Job_") ? [{ node: `${node["Node Type"]} ${node["Index Name"] ?? ""}`, rows: node["Actual Rows"] * node["Actual Loops"] }] : [];
  return [...own, ...(node.Plans ?? []).flatMap(jobTableReads)];
}

describe("the claim's cost under a backlog", () => {
  // Found by bench:queue: with statistics taken when the outbox was small, the planner checked
  // the candidates against every due job (a hash join over the status index), so each claim
  // read the whole backlog. Statistics lag exactly when a backlog builds up.
  it("reads a bounded number of rows whatever the backlog, with statistics from when it was small", async () => {
    await testDb.db.sql(`ALTER TABLE "Job" SET (autovacuum_enabled = false)`);
    await enqueue(testDb.db, Array.from({ length: 20 }, (_, i) => jobDueFor("lifecycle.apply", i)));
    await testDb.db.sql(`ANALYZE "Job"`);
    for (let batch = 0; batch < 6; batch++) {
      await enqueue(testDb.db, Array.from({ length: 1_000 }, (_, i) => jobDueFor(batch % 2 ? "circle.grant" : "lifecycle.apply", 60 + i / 10)));
    }
    const [explained] = await testDb.db.sql<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${CLAIM_JOBS_SQL}`, claimJobsParams("test-worker", 4, 60_000, []));
    const reads = jobTableReads(explained!["QUERY PLAN"][0].Plan);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((read) => read.rows > 100)).toEqual([]);
  });
});

describe("the outbox table's upkeep", () => {
  it("is vacuumed and analyzed at 2% dead or changed rows, not PostgreSQL's default 20%", async () => {
    const [row] = await testDb.db.sql<{ options: string[] }>(`SELECT reloptions AS options FROM pg_class WHERE relname = 'Job'`);
    expect(row?.options).toEqual(expect.arrayContaining(["autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.02"]));
  });
});
