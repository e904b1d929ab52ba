-- CreateTable
CREATE TABLE "WorkerHeartbeat" (
    "workerId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "beatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkerHeartbeat_pkey" PRIMARY KEY ("workerId")
);

-- CreateIndex
CREATE INDEX "WorkerHeartbeat_beatAt_idx" ON "WorkerHeartbeat"("beatAt");

-- Partial indexes for the metrics read at scrape time (lib/observability/database-metrics.ts):
-- events received but not yet applied, and Circle grants not yet carried out. Both sets are
-- small in a healthy system, so the scrape reads them without scanning the tables. (Prisma's
-- schema cannot express a partial index; the migration diff compares schemas, so it keeps them.)
CREATE INDEX "WebhookEvent_pending_receivedAt_idx" ON "WebhookEvent"("receivedAt") WHERE "outcome" = 'pending';
CREATE INDEX "Job_unfinished_kind_createdAt_idx" ON "Job"("kind", "createdAt") WHERE "status" IN ('queued', 'running', 'dead');
