-- The hourly prune (lib/jobs/retention.ts) deletes succeeded and discarded jobs older than the
-- retention period, oldest first in batches: this index finds them without reading the queued,
-- running and dead jobs. A partial index, which the Prisma schema cannot state (as with
-- "Job_unfinished_kind_createdAt_idx").
CREATE INDEX "Job_finished_updatedAt_idx" ON "Job"("updatedAt") WHERE "status" IN ('succeeded', 'discarded');
