import type { Database } from "../db";
import { jobRow } from "./kinds";
import { deleteFinishedJobs, enqueue } from "./queue";
import { nextSlot } from "./slots";

// The outbox keeps a finished job (succeeded or discarded) for JOB_RETENTION_DAYS, then deletes
// it: otherwise the table grows with every event for ever, and so does every scan of it (the
// metrics' counts, vacuum). Dead jobs stay until a person replays or discards them. The period
// outlasts every reader of finished jobs: the dashboard's payment to access (checkouts of the last
// 7 days, a grant up to a day later), and the dedupe keys, which are enqueued again only by a
// retry of the same decision, moments after the first.

export const PRUNE_INTERVAL_MS = 60 * 60_000;
/** Rows per DELETE: short statements, so claims and settles never wait long behind one. */
export const PRUNE_BATCH = 2_000;
/** A run's bound in time (a serverless drain gives a job 5 s); what is left goes in the next hour's run. */
const PRUNE_RUN_MS = 4_000;

/** Schedules the next hourly prune (idempotent per slot). */
export async function schedulePrune(db: Database, now = new Date()): Promise<Date> {
  const slot = nextSlot(now, PRUNE_INTERVAL_MS);
  await enqueue(db, [jobRow("jobs.prune", { slot: slot.toISOString() }, { runAt: slot, maxAttempts: 3 })]);
  return slot;
}

/** Deletes the jobs finished more than `retentionDays` before `now`, batch by batch; how many went. */
export async function pruneFinishedJobs(db: Database, retentionDays: number, now = new Date(), batch = PRUNE_BATCH): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  const stopAt = Date.now() + PRUNE_RUN_MS;
  let deleted = 0;
  for (;;) {
    const gone = await deleteFinishedJobs(db, before, batch);
    deleted += gone;
    if (gone < batch || Date.now() > stopAt) return deleted;
  }
}
