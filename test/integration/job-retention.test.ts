import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCatalog } from "../../lib/catalog-file";
import { createHandlers } from "../../lib/effects";
import { createCircleClient } from "../../lib/integrations/circle";
import { createKitClient } from "../../lib/integrations/kit";
import { CIRCLE_BUDGET, createRequestBudget, KIT_BUDGET } from "../../lib/jobs/budget";
import { jobRow } from "../../lib/jobs/kinds";
import { enqueue } from "../../lib/jobs/queue";
import { PRUNE_INTERVAL_MS, pruneFinishedJobs } from "../../lib/jobs/retention";
import { createTestDatabase, type TestDatabase } from "../../lib/sandbox/database";

// The outbox's retention: finished jobs (succeeded, discarded) past the period are deleted in
// batches; dead, queued and running ones, and recent finished ones, stay.

let testDb: TestDatabase;
beforeEach(async () => {
  testDb = await createTestDatabase();
});
afterEach(async () => {
  await testDb.drop();
});

const DAY_MS = 86_400_000;
let serial = 0;

/** Enqueues an apply job, then sets its status and last change as if it had finished `daysAgo` days ago. */
async function jobIn(status: "queued" | "running" | "succeeded" | "dead" | "discarded", daysAgo: number): Promise<string> {
  serial += 1;
  const row = jobRow("lifecycle.apply", { ledgerId: `ledger-${serial}` });
  await enqueue(testDb.db, [row]);
  await testDb.db.sql(`UPDATE "Job" SET status = $2::"JobStatus", "updatedAt" = now() - make_interval(secs => $3::float8) WHERE "dedupeKey" = $1 RETURNING id`, [
    row.dedupeKey,
    status,
    (daysAgo * DAY_MS) / 1000,
  ]);
  return row.dedupeKey;
}

const remaining = async () => (await testDb.db.sql<{ dedupeKey: string }>(`SELECT "dedupeKey" FROM "Job" ORDER BY "dedupeKey"`)).map((row) => row.dedupeKey).sort();

describe("job retention", () => {
  it("deletes succeeded and discarded jobs past the period and keeps every other job", async () => {
    const kept = [
      await jobIn("succeeded", 29),
      await jobIn("discarded", 29),
      await jobIn("dead", 90),
      await jobIn("queued", 90),
      await jobIn("running", 90),
    ];
    await jobIn("succeeded", 31);
    await jobIn("discarded", 45);

    expect(await pruneFinishedJobs(testDb.db, 30)).toBe(2);
    expect(await remaining()).toEqual(kept.sort());
    expect(await pruneFinishedJobs(testDb.db, 30)).toBe(0);
  });

  it("goes batch after batch until none past the period is left", async () => {
    for (let i = 0; i < 7; i++) await jobIn("succeeded", 40);
    const recent = await jobIn("succeeded", 1);
    expect(await pruneFinishedJobs(testDb.db, 30, new Date(), 3)).toBe(7);
    expect(await remaining()).toEqual([recent]);
  });

  it("runs as the hourly jobs.prune job, which schedules the next hour's", async () => {
    await jobIn("succeeded", 40);
    const recent = await jobIn("succeeded", 2);
    const db = testDb.db;
    // The prune calls no provider: clients pointed at a closed port would fail the test if it did.
    const handlers = createHandlers({
      db,
      catalog: loadCatalog(),
      circle: createCircleClient({ baseUrl: "http://127.0.0.1:9", token: "unused" }),
      kit: createKitClient({ baseUrl: "http://127.0.0.1:9", apiKey: "unused" }),
      circleBudget: createRequestBudget(db, "circle:test", CIRCLE_BUDGET),
      kitBudget: createRequestBudget(db, "kit:test", KIT_BUDGET),
      jobRetentionDays: 14,
    });
    const slot = new Date(Math.floor(Date.now() / PRUNE_INTERVAL_MS) * PRUNE_INTERVAL_MS).toISOString();
    await handlers["jobs.prune"].run({ slot }, { id: "prune", kind: "jobs.prune", payload: { slot }, dedupeKey: `jobs.prune:${slot}`, attempts: 1, maxAttempts: 3, leasesLost: 0, customerId: null });

    const next = new Date(Math.floor(Date.now() / PRUNE_INTERVAL_MS) * PRUNE_INTERVAL_MS + PRUNE_INTERVAL_MS).toISOString();
    expect(await remaining()).toEqual([`jobs.prune:${next}`, recent].sort());
  });
});
