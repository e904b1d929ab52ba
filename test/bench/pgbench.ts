import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { JobKind } from "../../lib/jobs/kinds";

// This machine's durable-insert limit: pgbench transactions of one ledger row plus one
// outbox job, into the real migrated tables, with a payload the size of a real event.

const APPLY_JOB: JobKind = "lifecycle.apply";

const run = promisify(execFile);

export interface PgbenchResult {
  clients: number;
  tps: number;
  latencyMs: number;
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Writes the transaction script; `payload` is one event's JSON, stored in every row. The
 * script runs in pgbench's simple query mode, which leaves `:word` text that names no pgbench
 * variable alone (the JSON has some); the prepared mode would not.
 */
export function writePgbenchScript(dir: string, payload: string): string {
  const file = path.join(dir, "ledger-insert.sql");
  const script = [
    "BEGIN;",
    `INSERT INTO "WebhookEvent" (id, provider, "eventId", type, "providerCreatedAt", payload, outcome)`,
    `  VALUES (gen_random_uuid()::text, 'stripe', 'evt_' || gen_random_uuid()::text, 'checkout.session.completed', now(), ${quote(payload)}::jsonb, 'pending');`,
    `INSERT INTO "Job" (id, kind, payload, "dedupeKey", "runAt", "updatedAt")`,
    `  VALUES (gen_random_uuid()::text, '${APPLY_JOB}', jsonb_build_object('ledgerId', gen_random_uuid()::text), '${APPLY_JOB}:stripe:evt_' || gen_random_uuid()::text, now(), now());`,
    "END;",
    "",
  ].join("\n");
  fs.writeFileSync(file, script);
  return file;
}

async function findPgbench(): Promise<string> {
  for (const candidate of ["pgbench", "/usr/lib/postgresql/15/bin/pgbench"]) {
    try {
      await run(candidate, ["--version"]);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error("pgbench not found: apt-get install postgresql-contrib (or postgresql-client-15)");
}

export async function pgbench(databaseUrl: string, scriptFile: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const url = new URL(databaseUrl);
  const args = [
    "-n",
    "-f", scriptFile,
    "-c", String(clients),
    "-j", String(Math.min(2, clients)),
    "-T", String(seconds),
    "-h", url.hostname,
    "-p", url.port || "5432",
    "-U", decodeURIComponent(url.username || "postgres"),
    decodeURIComponent(url.pathname.slice(1)),
  ];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const { stdout } = await run(await findPgbench(), args, { env, maxBuffer: 1 << 20 });
  const tps = /tps = ([\d.]+)/.exec(stdout)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1];
  const failed = /number of failed transactions: (\d+)/.exec(stdout)?.[1];
  if (!tps || !latency) throw new Error(`could not read pgbench output:\n${stdout}`);
  if (failed && failed !== "0") throw new Error(`pgbench: ${failed} failed transactions:\n${stdout}`);
  return { clients, tps: Number(tps), latencyMs: Number(latency) };
}
