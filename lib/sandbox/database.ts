import crypto from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../lib/db";
import { migrate } from "../../lib/migrations";

// Each test file gets a database of its own, migrated from the committed migrations:
// in-memory PGlite by default, a fresh PostgreSQL database when TEST_DB=postgres.

export const testDbKind = (process.env.TEST_DB ?? "pglite") as "pglite" | "postgres";
export const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

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
  await db.script(`TRUNCATE ${tables.map((table) => table.name).join(", ")} CASCADE`);
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
