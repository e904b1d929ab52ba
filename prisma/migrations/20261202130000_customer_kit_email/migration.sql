-- Creating a customer's Kit subscriber is claimed by one tag job at a time (lib/record/store.ts
-- claimKitSubscriber), under an address kept for retries: two tag jobs creating it at once, one
-- that read the customer before an email change and one after, made two subscribers. Expand
-- only: nullable columns, read only while no subscriber is linked.
ALTER TABLE "Customer" ADD COLUMN "kitClaimJob" TEXT, ADD COLUMN "kitEmail" TEXT;
