import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import pg from "pg";
import { openDatabase, type Database } from "../../lib/db";
import { migrate } from "../../lib/migrations";
import { waitForQuiet } from "./processes";

// What every benchmark script shares: number formatting, cleanup on exit or Ctrl-C, a fresh
// migrated database, the machine's description, and waiting for an idle machine.

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";
export const ms = (n: number) => fmt(n, n < 10 ? (n < 1 ? 2 : 1) : 0);

/** Steps run last-in first-out by `cleanUp`, also on SIGINT/SIGTERM. */
export const cleanups: Array<() => Promise<void>> = [];
export async function cleanUp() {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    await step().catch((error: Error) => console.error(`cleanup: ${error.message}`));
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}

/** % of one core under which the machine counts as idle between cells. */
export const QUIET_THRESHOLD = 15;

/** Other processes on the machine skew a cell; wait for them to finish, and say so if they don't. */
export async function quiet(waitSeconds: number) {
  if (waitSeconds === 0) return;
  const use = await waitForQuiet(QUIET_THRESHOLD, waitSeconds * 1000);
  if (use.machine + use.steal >= QUIET_THRESHOLD) console.log(`  (the machine is still busy: ${fmt(use.machine)}% CPU, ${fmt(use.steal)}% stolen)`);
}

/** A fresh, migrated database next to `adminUrl`'s, dropped by `cleanUp`. */
export async function createBenchDatabase(adminUrl: string, poolSize: number): Promise<{ url: string; db: Database }> {
  const name = `entitled_bench_${crypto.randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize });
  cleanups.push(() => db.close());
  await migrate(db);
  return { url: url.toString(), db };
}

export async function machineInfo(db: Database) {
  const cpuModel = /model name\s*:\s*(.+)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  // autovacuum matters to every long run: without it an outbox's updated rows are never reclaimed
  // (the CI machine's PostgreSQL ships with it off; production's default is on).
  const [pgInfo] = await db.sql<{ version: string; fsync: string; synchronous_commit: string; autovacuum: string }>(
    `SELECT version() AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
            current_setting('autovacuum') AS autovacuum`,
  );
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    memoryGiB: os.totalmem() / 2 ** 30,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: `${pgInfo?.version.split(" on ")[0] ?? "unknown"} (fsync=${pgInfo?.fsync}, synchronous_commit=${pgInfo?.synchronous_commit}, autovacuum=${pgInfo?.autovacuum})`,
  };
}
