import crypto from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../db";
import { z } from "zod";
import { migrate } from "../migrations";

// The sandbox harness's database, used by the tests, the eval suite (`npm run eval`) and the
// benchmarks: each caller (a test file, an eval trial) gets a database of its own, migrated from
// the committed migrations: in-memory PGlite by default, a fresh PostgreSQL database when
// TEST_DB=postgres. Product code: no dependency on vitest or on test/.
//
// TEST_DB and TEST_POSTGRES_URL are harness settings, not the app's (lib/config.ts), so they are
// parsed here; a bad value stops with a readable message instead of a confusing failure later.

const blankAsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const harnessEnvSchema = z.object({
  /** Which database the harness runs on. */
  TEST_DB: z.preprocess(blankAsUnset, z.enum(["pglite", "postgres"]).default("pglite")),
  /** On TEST_DB=postgres: a server URL whose user may CREATE and DROP databases. */
  TEST_POSTGRES_URL: z.preprocess(blankAsUnset, z.url().default("postgresql://postgres@127.0.0.1:5432/postgres")),
});

function parseHarnessEnv(env: NodeJS.ProcessEnv) {
  const parsed = harnessEnvSchema.safeParse({ TEST_DB: env.TEST_DB, TEST_POSTGRES_URL: env.TEST_POSTGRES_URL });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".");
      return `  ${name}=${JSON.stringify(env[name])}: ${issue.message}`;
    });
    throw new Error(
      `sandbox database: invalid harness setting(s):\n${problems.join("\n")}\n` +
        `TEST_DB must be "pglite" (default) or "postgres"; TEST_POSTGRES_URL must be a URL such as postgresql://postgres@127.0.0.1:5432/postgres.`,
    );
  }
  return parsed.data;
}

const harnessEnv = parseHarnessEnv(process.env);

export const testDbKind: "pglite" | "postgres" = harnessEnv.TEST_DB;
export const postgresAdminUrl: string = harnessEnv.TEST_POSTGRES_URL;

export interface TestDatabase {
  db: Database;
  /** Set on PostgreSQL: a URL other processes (child workers, servers) can open. */
  url: string | null;
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// Starting PGlite (wasm) takes seconds, so a test process keeps one migrated instance and
// empties it between tests instead.
let sharedPglite: Promise<Database> | undefined;

async function emptyAllTables(db: Database) {
  const tables = await db.sql<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
  );
  // DELETE with foreign-key triggers off, in one transaction (SET LOCAL ends with it): PGlite's
  // TRUNCATE rewrites every table's files and costs several times more on these small tables.
  await db.script(`BEGIN; SET LOCAL session_replication_role = replica; ${tables.map((table) => `DELETE FROM ${table.name};`).join(" ")} COMMIT;`);
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDbKind === "pglite") {
    sharedPglite ??= openDatabase({ dataDir: "memory://" }).then(async (db) => {
      await migrate(db);
      return db;
    });
    const db = await sharedPglite;
    await emptyAllTables(db);
    return { db, url: null, drop: () => emptyAllTables(db) };
  }
  const name = `entitled_test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = urlFor(name);
  const db = await openDatabase({ databaseUrl: url, poolSize: 8 });
  await migrate(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: postgresAdminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
