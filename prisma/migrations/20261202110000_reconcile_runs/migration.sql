-- Reconciliations asked for from the console or the API, run by the worker instead of inside the
-- HTTP request (minutes on a big community); their reports are kept here. lib/reconcile/requests.ts.
CREATE TABLE "ReconcileRun" (
    "id" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "dryRun" BOOLEAN NOT NULL,
    "providers" TEXT[],
    "report" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ReconcileRun_pkey" PRIMARY KEY ("id")
);
