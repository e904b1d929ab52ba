-- AlterTable
ALTER TABLE "ProviderBudget" DROP COLUMN "used",
DROP COLUMN "windowStart",
ADD COLUMN     "recent" TIMESTAMPTZ(3)[] DEFAULT ARRAY[]::TIMESTAMPTZ(3)[];
