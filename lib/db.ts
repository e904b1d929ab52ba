import path from "node:path";
import fs from "node:fs";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

// One schema, two engines: PostgreSQL when a URL is given, PGlite (PostgreSQL in wasm, in
// process) in a local folder otherwise. Raw SQL used by the hot paths (ingest, job claims,
// the lifecycle engine) is plain PostgreSQL and runs on both.

export type Row = Record<string, unknown>;

export interface SqlOptions {
  /** Name for a server-side prepared statement (planned once per connection); hot paths only. */
  prepare?: string;
}

export interface Session {
  /** One parameterised statement, one round trip. */
  sql<T extends Row = Row>(text: string, params?: unknown[], options?: SqlOptions): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  script(text: string): Promise<void>;
}

export interface Database extends Session {
  kind: "postgres" | "pglite";
  prisma: PrismaClient;
  /**
   * Runs fn in one transaction on one connection: committed when fn resolves, rolled back when
   * it throws. Statements run as raw SQL, without the ORM's per-query work (hot paths).
   */
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
  /** Runs fn on one connection, for session-level locks. */
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  /** PGlite data folder; "memory://" for a throwaway database. */
  dataDir?: string;
  poolSize?: number;
}

/** A transaction gives up after this long (on PostgreSQL: any one statement, a lock wait included). */
const TRANSACTION_TIMEOUT_MS = 30_000;

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPGlite(options.dataDir ?? ".data/pglite");
}

// The schema's DateTime columns are "timestamp without time zone" holding UTC (Prisma's
// convention). node-postgres would write a Date and read such a column in the process's local
// time zone, shifting every raw-SQL time (a retry's runAt, a lease) on a server outside UTC.
pg.defaults.parseInputDatesAsUTC = true;
const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;
const utcTimestamp = (text: string) => new Date(`${text.replace(" ", "T")}Z`);
const poolTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_WITHOUT_TIME_ZONE && format !== "binary" ? utcTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function openPostgres(connectionString: string, max: number): Database {
  const pool = new pg.Pool({ connectionString, max, types: poolTypes });
  // An idle client that errors (server restart) must not crash the process.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    async sql<T extends Row>(text: string, params: unknown[] = [], options: SqlOptions = {}) {
      const result = await pool.query({ text, values: params, name: options.prepare });
      return result.rows as T[];
    },
    async script(text: string) {
      await pool.query(text);
    },
    async withSession(fn) {
      const client = await checkOut(pool);
      try {
        return await fn(clientSession(client));
      } finally {
        client.release(client.lost());
      }
    },
    async transaction(fn) {
      const client = await checkOut(pool);
      let broken: Error | undefined;
      try {
        // One round trip: BEGIN, and a bound on how long any statement (a lock wait) may take.
        await client.query(`BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_TIMEOUT_MS}`);
        const result = await fn(clientSession(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // A connection that cannot even roll back is dropped from the pool, not reused.
        await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        client.release(broken ?? client.lost());
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * A pooled connection in our hands. The pool only listens for errors on idle connections: one
 * that the server drops while checked out (a restart) emits an `error` event that, unheard,
 * ends the process. Here it is heard, the statement in flight fails on its own, and the
 * connection is released as broken (`lost()`), so the pool discards it instead of reusing it.
 */
async function checkOut(pool: pg.Pool): Promise<pg.PoolClient & { lost(): Error | undefined }> {
  const client = await pool.connect();
  let lostWith: Error | undefined;
  const onError = (error: Error) => (lostWith = error);
  client.on("error", onError);
  const release = client.release.bind(client);
  return Object.assign(client, {
    lost: () => lostWith,
    release(error?: Error | boolean) {
      // A lost connection keeps the listener: it may still report its end while the pool discards it.
      if (!lostWith) client.removeListener("error", onError);
      release(error);
    },
  });
}

function clientSession(client: pg.PoolClient): Session {
  return {
    async sql<T extends Row>(text: string, params: unknown[] = [], options: SqlOptions = {}) {
      return (await client.query({ text, values: params, name: options.prepare })).rows as T[];
    },
    async script(text: string) {
      await client.query(text);
    },
  };
}

async function openPGlite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith("memory://")) fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const database: Database = {
    kind: "pglite",
    prisma,
    // Through Prisma, so the adapter's lock orders these statements with its transactions on
    // PGlite's single session.
    async sql<T extends Row>(text: string, params: unknown[] = []) {
      return prisma.$queryRawUnsafe<T[]>(text, ...params);
    },
    async script(text: string) {
      await pglite.exec(text);
    },
    // PGlite has a single session already.
    withSession: (fn) => fn(database),
    // Through Prisma's transaction, which holds the adapter's lock on the single session.
    transaction: (fn) =>
      prisma.$transaction(
        (tx) =>
          fn({
            sql: <T extends Row>(text: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params),
            script: async (text: string) => {
              await tx.$executeRawUnsafe(text);
            },
          }),
        { timeout: TRANSACTION_TIMEOUT_MS, maxWait: TRANSACTION_TIMEOUT_MS },
      ),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
  return database;
}
