// The outbox under a backlog (npm run bench:queue), on PostgreSQL, in process.
//
// 1. A launch burst: BENCH_PURCHASES checkouts recorded at once, faster than one worker applies
//    them, while Kit's budget (120 requests a minute) runs out and its jobs wait. The product's
//    worker and handlers run against the fake Circle and Kit. Printed: how long the apply backlog
//    took to clear (the same run's baseline: under strict priority no customer got access before
//    it had), when customers got access, and where Kit's jobs stood.
// 2. The claim's cost against the backlog it reads past: the same claims with just enough due
//    jobs queued (baseline, same run) and with BENCH_BACKLOG due jobs of four priorities.
import { z } from "zod";
import type { Database } from "../../lib/db";
import { jobRow } from "../../lib/jobs/kinds";
import { claimJobs, enqueue } from "../../lib/jobs/queue";
import { createWorker } from "../../lib/jobs/worker";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { recordEvents } from "../../lib/webhooks/ledger";
import { handlersForFakes } from "../../lib/sandbox/handlers";
import { checkoutCompleted, newPurchase, stripeLedgerEntry } from "../../lib/sandbox/stripe-events";
import { startBenchProviders } from "./access";
import { cleanUp, createBenchDatabase, fmt, machineInfo, ms, quiet } from "./common";

const settings = z
  .object({
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    BENCH_PURCHASES: z.coerce.number().int().positive().default(1_500),
    BENCH_BACKLOG: z.coerce.number().int().positive().default(100_000),
    BENCH_CLAIMS: z.coerce.number().int().positive().default(300),
    BENCH_QUIET_S: z.coerce.number().int().min(0).default(20),
  })
  .parse(process.env);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function launchBurst() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 10);
  const providers = await startBenchProviders();
  const handlers = handlersForFakes({ db, catalog: parseCatalog(providers.catalog), circleUrl: providers.circleUrl, kitUrl: providers.kitUrl });
  const entries = Array.from({ length: settings.BENCH_PURCHASES }, () => stripeLedgerEntry(checkoutCompleted(newPurchase())));
  const startedAt = Date.now();
  for (let i = 0; i < entries.length; i += 200) await recordEvents(db, entries.slice(i, i + 200));
  const recordedMs = Date.now() - startedAt;
  const worker = createWorker({ db, handlers, concurrency: 4, pollMs: 20 });
  worker.start();
  const grantsDone = async () =>
    (await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE kind = 'circle.grant' AND status = 'succeeded'`))[0]!.n;
  while ((await grantsDone()) < settings.BENCH_PURCHASES) await new Promise((resolve) => setTimeout(resolve, 250));
  await worker.stop();

  const since = (column: string, kind: string) =>
    db.sql<{ ms: number }>(`SELECT (EXTRACT(EPOCH FROM ${column}) * 1000 - $2)::float8 AS ms FROM "Job" WHERE kind = $1 AND status = 'succeeded' ORDER BY 1`, [
      kind,
      startedAt,
    ]);
  const applies = (await since(`"finishedAt"`, "lifecycle.apply")).map((row) => row.ms);
  const access = (await since(`"finishedAt"`, "circle.grant")).map((row) => row.ms);
  const kit = await db.sql<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM "Job" WHERE kind LIKE 'kit.%' GROUP BY 1 ORDER BY 1`);
  const lastApply = applies.at(-1)!;
  console.log(`\n## Launch burst: ${fmt(settings.BENCH_PURCHASES)} checkouts recorded in ${ms(recordedMs)} ms, one worker (concurrency 4)`);
  console.log(`| | s after the burst |`);
  console.log(`|---|---|`);
  console.log(`| apply backlog cleared (the last event applied) | ${fmt(lastApply / 1000, 1)} |`);
  console.log(`| first customer with access | ${fmt(access[0]! / 1000, 2)} |`);
  console.log(`| access, p50 / p95 / last | ${fmt(percentile(access, 50) / 1000, 1)} / ${fmt(percentile(access, 95) / 1000, 1)} / ${fmt(access.at(-1)! / 1000, 1)} |`);
  console.log(`customers with access before the apply backlog cleared: ${fmt(access.filter((at) => at < lastApply).length)} of ${fmt(access.length)}`);
  console.log(`Kit jobs at the end (budget 120 a minute): ${kit.map((row) => `${row.status} ${row.n}`).join(", ")}`);
}

/** Due jobs of every kind class (apply, grant, Kit, recheck), as many as asked, enqueued in chunks. */
async function fillBacklog(db: Database, count: number) {
  for (let start = 0; start < count; start += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, count - start) }, (_, i) => {
      const n = start + i;
      const runAt = new Date(Date.now() - 60_000 + (n % 60_000));
      switch (n % 4) {
        case 0:
          return jobRow("lifecycle.apply", { ledgerId: `backlog-${n}` }, { runAt });
        case 1:
          return jobRow("circle.grant", { customerId: `backlog-${n}`, accessGroupId: 1, version: 1 }, { runAt });
        case 2:
          return jobRow("kit.tag", { customerId: `backlog-${n}`, tagId: 1, version: 1 }, { runAt });
        default:
          return jobRow("lifecycle.recheck", { customerId: `backlog-${n}` }, { runAt });
      }
    });
    await enqueue(db, rows);
  }
  await db.sql(`ANALYZE "Job"`);
}

async function claimCost(db: Database, label: string) {
  const timings: number[] = [];
  for (let i = 0; i < settings.BENCH_CLAIMS; i++) {
    const started = performance.now();
    const claimed = await claimJobs(db, "bench-worker", 4, 60_000);
    timings.push(performance.now() - started);
    // Settled at once, so the next claim reads the same backlog.
    if (claimed.length > 0) await db.sql(`UPDATE "Job" SET status = 'succeeded', "finishedAt" = now() WHERE id = ANY($1::text[])`, [claimed.map((job) => job.id)]);
  }
  timings.sort((a, b) => a - b);
  console.log(`| ${label} | ${ms(percentile(timings, 50))} | ${ms(percentile(timings, 95))} |`);
}

async function main() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 4);
  const machine = await machineInfo(db);
  console.log(`machine: ${machine.nproc} cores, ${machine.cpuModel}; ${machine.node}; ${machine.postgres}`);
  await quiet(settings.BENCH_QUIET_S);
  await launchBurst();

  console.log(`\n## One claim of 4 jobs (${fmt(settings.BENCH_CLAIMS)} claims)`);
  console.log(`| due jobs queued | p50 ms | p95 ms |`);
  console.log(`|---|---|---|`);
  // The baseline: just enough due jobs for every claim to get 4.
  for (const backlog of [settings.BENCH_CLAIMS * 4 + 100, settings.BENCH_BACKLOG]) {
    await db.sql(`DELETE FROM "Job"`);
    await fillBacklog(db, backlog);
    await quiet(settings.BENCH_QUIET_S);
    await claimCost(db, `${fmt(backlog)}${backlog === settings.BENCH_BACKLOG ? "" : " (baseline)"}`);
  }
}

try {
  await main();
} finally {
  await cleanUp();
}
