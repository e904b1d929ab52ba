// Worker CPU per purchase (npx tsx test/bench/worker-cpu.ts): in process, on PostgreSQL.
// Purchases are recorded in batches, as the ingest server would, and the product's worker
// (one job at a time, so each job's CPU and statements can be attributed to it) runs the
// batch's jobs until none is due before the next batch arrives. Kit's budget of 120 requests a
// minute runs out during the run, as in the payment-to-access benchmark. The fake Circle and
// Kit answer at once from this process: their CPU is counted in the jobs that call them.
import pg from "pg";
import { z } from "zod";
import type { ClaimedJob } from "../../lib/jobs/queue";
import { createWorker, type JobHandlers } from "../../lib/jobs/worker";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { recordEvents } from "../../lib/webhooks/ledger";
import { handlersForFakes } from "../../lib/sandbox/handlers";
import { checkoutCompleted, newPurchase, stripeLedgerEntry } from "../../lib/sandbox/stripe-events";
import { startBenchProviders } from "./access";
import { cleanUp, createBenchDatabase, fmt } from "./common";
import { startCpuMeter } from "./processes";

const settings = z
  .object({
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    BENCH_PURCHASES: z.coerce.number().int().positive().default(200),
    BENCH_BATCH: z.coerce.number().int().positive().default(20),
  })
  .parse(process.env);

// Every statement goes through pg.Client#query (pool.query and Prisma's adapter included).
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements += 1;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

interface Tally {
  runs: number;
  cpuMicros: number;
  statements: number;
}

async function main() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 10);
  const providers = await startBenchProviders();
  const catalog = parseCatalog(providers.catalog);

  // Each handler's run is timed; with one job at a time nothing else runs meanwhile.
  const tallies = new Map<string, Tally>();
  const handlers = Object.fromEntries(
    Object.entries(handlersForFakes({ db, catalog, circleUrl: providers.circleUrl, kitUrl: providers.kitUrl })).map(([kind, handler]) => [
      kind,
      {
        ...handler,
        async run(payload: unknown, job: ClaimedJob) {
          const tally = tallies.get(kind) ?? { runs: 0, cpuMicros: 0, statements: 0 };
          tallies.set(kind, tally);
          const [cpuBefore, statementsBefore] = [cpuMicros(), statements];
          try {
            await (handler.run as (payload: unknown, job: ClaimedJob) => Promise<void>)(payload, job);
          } finally {
            tally.runs += 1;
            tally.cpuMicros += cpuMicros() - cpuBefore;
            tally.statements += statements - statementsBefore;
          }
        },
      },
    ]),
  ) as JobHandlers;
  const worker = createWorker({ db, handlers, concurrency: 1 });

  let claims = 0;
  const meter = startCpuMeter(null);
  const [cpuBefore, statementsBefore, startedAt] = [cpuMicros(), statements, performance.now()];
  let recordMicros = 0;
  let recordStatements = 0;
  for (let sent = 0; sent < settings.BENCH_PURCHASES; sent += settings.BENCH_BATCH) {
    const batch = Math.min(settings.BENCH_BATCH, settings.BENCH_PURCHASES - sent);
    const [recordCpu, recordCount] = [cpuMicros(), statements];
    await recordEvents(db, Array.from({ length: batch }, () => stripeLedgerEntry(checkoutCompleted(newPurchase()))));
    recordMicros += cpuMicros() - recordCpu;
    recordStatements += statements - recordCount;
    for (;;) {
      claims += 1;
      if ((await worker.runOnce()) === 0) break;
    }
  }
  const workerMicros = cpuMicros() - cpuBefore - recordMicros;
  const workerStatements = statements - statementsBefore - recordStatements;
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = meter.stop();

  const [grants] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "AccessGrant" WHERE state = 'invited'`);
  const jobs = await db.sql<{ kind: string; status: string; n: number }>(
    `SELECT kind, status::text AS status, count(*)::int AS n FROM "Job" GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const perPurchase = (n: number) => n / settings.BENCH_PURCHASES;
  console.log(`${settings.BENCH_PURCHASES} purchases in batches of ${settings.BENCH_BATCH}; ${grants?.n ?? 0} Circle grants done; ${fmt(seconds, 1)} s`);
  console.log(`jobs: ${jobs.map((row) => `${row.kind} ${row.status} ${row.n}`).join(", ")}`);
  console.log(`worker per purchase: ${fmt(perPurchase(workerMicros) / 1000, 2)} ms CPU, ${fmt(perPurchase(workerStatements), 1)} statements; claim rounds ${claims}`);
  console.log(`PostgreSQL (all processes, machine-wide) per purchase: ${fmt((cpu.postgres * 10 * seconds) / settings.BENCH_PURCHASES, 2)} ms CPU`);
  console.log(`| job kind | runs | CPU ms/run | statements/run |`);
  console.log(`|---|---|---|---|`);
  for (const [kind, tally] of [...tallies].sort()) {
    console.log(`| ${kind} | ${tally.runs} | ${fmt(tally.cpuMicros / tally.runs / 1000, 2)} | ${fmt(tally.statements / tally.runs, 1)} |`);
  }
  const handled = [...tallies.values()].reduce((sum, tally) => ({ cpu: sum.cpu + tally.cpuMicros, statements: sum.statements + tally.statements }), { cpu: 0, statements: 0 });
  console.log(
    `outside handlers (claims, settling, deferrals) per purchase: ${fmt(perPurchase(workerMicros - handled.cpu) / 1000, 2)} ms CPU, ` +
      `${fmt(perPurchase(workerStatements - handled.statements), 1)} statements`,
  );
}

try {
  await main();
} finally {
  await cleanUp();
}
