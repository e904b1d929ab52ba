import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import type { Database } from "./db";

// Applies prisma/migrations/*/migration.sql in order and keeps Prisma's own
// `_prisma_migrations` bookkeeping, so `prisma migrate deploy` agrees with what ran here.

const BOOKKEEPING = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

// The same advisory lock key the Prisma CLI takes, so the two never migrate at once.
const PRISMA_MIGRATE_LOCK = 72707369;

export const defaultMigrationsDir = () => path.resolve(process.cwd(), "prisma/migrations");

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = defaultMigrationsDir()): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

export async function migrate(db: Database, dir = defaultMigrationsDir()): Promise<string[]> {
  const migrations = readMigrations(dir);
  return db.withSession(async (session) => {
    await session.sql(`SELECT 1 AS locked FROM pg_advisory_lock(${PRISMA_MIGRATE_LOCK})`);
    try {
      await session.script(BOOKKEEPING);
      const rows = await session.sql<{ migration_name: string; checksum: string }>(
        `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      );
      const applied = new Map(rows.map((row) => [row.migration_name, row.checksum]));
      const ran: string[] = [];
      for (const migration of migrations) {
        const checksum = applied.get(migration.name);
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) {
            throw new Error(`migration ${migration.name} was edited after it was applied (checksum differs)`);
          }
          continue;
        }
        // The SQL and its bookkeeping row commit together or not at all.
        await session.script(
          `BEGIN;\n${migration.sql}\nINSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) ` +
            `VALUES ('${crypto.randomUUID()}', '${migration.checksum}', '${migration.name.replace(/'/g, "''")}', now(), 1);\nCOMMIT;`,
        );
        ran.push(migration.name);
      }
      return ran;
    } finally {
      await session.sql(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK}) AS unlocked`);
    }
  });
}
