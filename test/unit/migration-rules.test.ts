import { describe, expect, it } from "vitest";
import { readMigrations } from "../../lib/migrations";

// docs/migrations.md: from 2026-12-01 on, a destructive change (a dropped column or table, a
// rename) ships as the contract half of an expand/contract pair, in a migration whose folder
// name ends in `_contract`, a release after the expand half.

const RULE_FROM = "20261201";
const DESTRUCTIVE = /\bDROP\s+(COLUMN|TABLE)\b|\bRENAME\b/i;

/** The SQL without comments, so a comment that mentions DROP COLUMN is not a drop. */
const withoutComments = (sql: string) => sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");

export function destructiveWithoutContract(migrations: Array<{ name: string; sql: string }>): string[] {
  return migrations
    .filter((migration) => migration.name.slice(0, 8) >= RULE_FROM && !migration.name.endsWith("_contract"))
    .filter((migration) => DESTRUCTIVE.test(withoutComments(migration.sql)))
    .map((migration) => migration.name);
}

describe("migration rules", () => {
  it("has no destructive migration from 2026-12-01 on outside a `_contract` folder", () => {
    expect(destructiveWithoutContract(readMigrations())).toEqual([]);
  });

  it.each([
    ["20261202120000_drop_x", `ALTER TABLE "A" DROP COLUMN "b";`, true],
    ["20261202120000_drop_x", `DROP TABLE "A";`, true],
    ["20261202120000_rename_x", `ALTER TABLE "A" RENAME COLUMN "b" TO "c";`, true],
    ["20261202120000_drop_x_contract", `ALTER TABLE "A" DROP COLUMN "b";`, false],
    ["20261129215043_sliding_request_budget", `ALTER TABLE "A" DROP COLUMN "b";`, false],
    ["20261202120000_add_x", `ALTER TABLE "A" ADD COLUMN "b" TEXT; -- DROP COLUMN later`, false],
    ["20261202120000_index", `DROP INDEX "A_b_idx";`, false],
  ])("judges %s (%s): flagged %s", (name, sql, flagged) => {
    expect(destructiveWithoutContract([{ name, sql }])).toEqual(flagged ? [name] : []);
  });
});
