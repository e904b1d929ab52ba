-- A claim whose lease ran out before it was settled (its worker was killed or hung) is counted
-- here instead of in attempts: a crash is not the job failing. lib/jobs/queue.ts `claimJobs`.
ALTER TABLE "Job" ADD COLUMN "leasesLost" INTEGER NOT NULL DEFAULT 0;

-- Due jobs are claimed oldest first, priority only breaking ties (strict priority order starved
-- side effects behind a backlog of applies).
DROP INDEX "Job_status_priority_runAt_idx";
CREATE INDEX "Job_status_runAt_priority_idx" ON "Job"("status", "runAt", "priority");
