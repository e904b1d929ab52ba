-- Circle's monthly quota: requests granted per calendar month (UTC), beside the sliding window.
ALTER TABLE "ProviderBudget" ADD COLUMN "monthStart" TIMESTAMP(3),
ADD COLUMN "monthUsed" INTEGER NOT NULL DEFAULT 0;

-- Drift the reconciler handed to a person: a later run counts it as known, not new.
CREATE TABLE "DriftNotice" (
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "customerId" TEXT,
    "ticketId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DriftNotice_pkey" PRIMARY KEY ("key")
);
