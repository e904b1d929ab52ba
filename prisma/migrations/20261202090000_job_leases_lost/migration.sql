-- A claim whose lease ran out before it was settled (its worker was killed or hung) is counted
-- here instead of in attempts: a crash is not the job failing. lib/jobs/queue.ts `claimJobs`.
ALTER TABLE "Job" ADD COLUMN "leasesLost" INTEGER NOT NULL DEFAULT 0;
