// The outbox under a backlog (npm run bench:queue), on PostgreSQL, in process.
//
// 1. Checkouts arriving faster than one worker applies them: BENCH_RATE a second for
//    BENCH_SECONDS, recorded as the ingest server would, while Kit's budget (120 requests a
//    minute) runs out and its jobs wait. The product's worker and handlers run against the fake
//    Circle and Kit. Printed: how far the apply backlog grew, and how many customers got access
//    while it was there, with their wait from payment to access. The same run's baseline is the
//    apply backlog itself: under the old strict priority order no grant ran while an apply was due.
//    The run ends when every grant is done, or BENCH_AFTER_S after the last apply.
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
import { latencySummary } from "./load";

const settings = z
  .object({
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    BENCH_RATE: z.coerce.number().int().positive().default(300),
    BENCH_SECONDS: z.coerce.number().int().positive().default(30),
    BENCH_AFTER_S: z.coerce.number().positive().default(20),
    BENCH_BACKLOG: z.coerce.number().int().positive().default(100_000),
    BENCH_CLAIMS: z.coerce.number().int().positive().default(300),
    BENCH_QUIET_S: z.coerce.number().int().min(0).default(20),
  })
  .parse(process.env);

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function overload() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 10);
  const providers = await startBenchProviders();
  const handlers = handlersForFakes({ db, catalog: parseCatalog(providers.catalog), circleUrl: providers.circleUrl, kitUrl: providers.kitUrl });
  const worker = createWorker({ db, handlers, concurrency: 4, pollMs: 20 });
  const applyBacklog = async () =>
    (await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE kind = 'lifecycle.apply' AND status IN ('queued', 'running')`))[0]!.n;
  const startedAt = Date.now();
  worker.start();
  let sent = 0;
  let largestBacklog = 0;
  for (let tick = 0; tick < settings.BENCH_SECONDS * 10; tick++) {
    const due = Math.round(((tick + 1) * settings.BENCH_RATE) / 10) - sent;
    await recordEvents(db, Array.from({ length: due }, () => stripeLedgerEntry(checkoutCompleted(newPurchase()))));
    sent += due;
    if (tick % 10 === 9) largestBacklog = Math.max(largestBacklog, await applyBacklog());
    await sleep(Math.max(0, startedAt + (tick + 1) * 100 - Date.now()));
  }
  const arrivalsEndedAt = Date.now();
  const backlogAtEnd = await applyBacklog();
  for (;;) {
    const [now] = await db.sql<{ grants: number; applying: number; lastApplied: number | null }>(
      `SELECT count(*) FILTER (WHERE kind = 'circle.grant' AND status = 'succeeded')::int AS grants,
              count(*) FILTER (WHERE kind = 'lifecycle.apply' AND status IN ('queued', 'running'))::int AS applying,
              (EXTRACT(EPOCH FROM max("finishedAt") FILTER (WHERE kind = 'lifecycle.apply')) * 1000)::float8 AS "lastApplied"
         FROM "Job"`,
    );
    if (now!.grants === sent) break;
    if (now!.applying === 0 && now!.lastApplied !== null && Date.now() - now!.lastApplied > settings.BENCH_AFTER_S * 1000) break;
    await sleep(250);
  }
  await worker.stop();

  const [{ lastApplied }] = (await db.sql<{ lastApplied: number }>(
    `SELECT (EXTRACT(EPOCH FROM max("finishedAt")) * 1000)::float8 AS "lastApplied" FROM "Job" WHERE kind = 'lifecycle.apply'`,
  )) as [{ lastApplied: number }];
  // Each grant against the payment it follows: the customer's checkout event's arrival.
  const access = await db.sql<{ at: number; waitMs: number }>(
    `SELECT (EXTRACT(EPOCH FROM j."finishedAt") * 1000)::float8 AS at, (EXTRACT(EPOCH FROM j."finishedAt" - e."receivedAt") * 1000)::float8 AS "waitMs"
       FROM "Job" j JOIN "WebhookEvent" e ON e."customerId" = j."customerId"
      WHERE j.kind = 'circle.grant' AND j.status = 'succeeded' ORDER BY 1`,
  );
  const duringBacklog = access.filter((grant) => grant.at < lastApplied);
  const wait = latencySummary(duringBacklog.map((grant) => grant.waitMs));
  const kit = await db.sql<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM "Job" WHERE kind LIKE 'kit.%' GROUP BY 1 ORDER BY 1`);
  const applyRate = sent / ((lastApplied - startedAt) / 1000);
  console.log(`\n## Overload: ${fmt(settings.BENCH_RATE)} checkouts/s for ${settings.BENCH_SECONDS} s (${fmt(sent)}), one worker (concurrency 4)`);
  console.log(`| | |`);
  console.log(`|---|---|`);
  console.log(`| events applied per second (whole run) | ${fmt(applyRate)} |`);
  console.log(`| apply backlog: largest seen / when arrivals ended | ${fmt(largestBacklog)} / ${fmt(backlogAtEnd)} |`);
  console.log(`| apply backlog cleared | ${fmt((lastApplied - startedAt) / 1000, 1)} s after the first arrival (${fmt((lastApplied - arrivalsEndedAt) / 1000, 1)} s after the last) |`);
  console.log(`| customers given access while applies were still due | ${fmt(duringBacklog.length)} of ${fmt(sent)} |`);
  console.log(`| their wait from payment to access, p50 / p95 / max | ${fmt(wait.p50 / 1000, 1)} / ${fmt(wait.p95 / 1000, 1)} / ${fmt(wait.max / 1000, 1)} s |`);
  console.log(`| customers with access at the run's end | ${fmt(access.length)} (Circle's budget: 2,000 requests in 5 minutes) |`);
  console.log(`Kit jobs at the end (budget 120 a minute): ${kit.map((row) => `${row.status} ${row.n}`).join(", ")}`);
}

/** Due jobs of every kind class (apply, grant, Kit, recheck), as many as asked, enqueued in chunks. */
async function fillBacklog(db: Database, count: number, analyze = true) {
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
  if (analyze) await db.sql(`ANALYZE "Job"`);
}

/** Deleted and vacuumed: the rows the last part left would otherwise be read past as dead index entries. */
async function emptyOutbox(db: Database) {
  await db.sql(`DELETE FROM "Job"`);
  await db.sql(`VACUUM "Job"`);
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
  const claim = latencySummary(timings);
  console.log(`| ${label} | ${ms(claim.p50)} | ${ms(claim.p95)} |`);
}

async function main() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 4);
  const machine = await machineInfo(db);
  console.log(`machine: ${machine.nproc} cores, ${machine.cpuModel}; ${machine.node}; ${machine.postgres}`);
  await quiet(settings.BENCH_QUIET_S);
  await overload();

  console.log(`\n## One claim of 4 jobs (${fmt(settings.BENCH_CLAIMS)} claims)`);
  console.log(`| due jobs queued | p50 ms | p95 ms |`);
  console.log(`|---|---|---|`);
  // The baseline: just enough due jobs for every claim to get 4.
  for (const backlog of [settings.BENCH_CLAIMS * 4 + 100, settings.BENCH_BACKLOG]) {
    await emptyOutbox(db);
    await fillBacklog(db, backlog);
    await quiet(settings.BENCH_QUIET_S);
    await claimCost(db, `${fmt(backlog)}${backlog === settings.BENCH_BACKLOG ? "" : " (baseline)"}`);
  }
  // A backlog that built up faster than autovacuum analyzes the table: the statistics are from
  // when the outbox held 20 jobs, as in the overload above.
  await emptyOutbox(db);
  await db.sql(`ALTER TABLE "Job" SET (autovacuum_enabled = false)`);
  await fillBacklog(db, 20);
  await fillBacklog(db, settings.BENCH_BACKLOG, false);
  await quiet(settings.BENCH_QUIET_S);
  await claimCost(db, `${fmt(settings.BENCH_BACKLOG)}, statistics from when 20 were`);
}

try {
  await main();
} finally {
  await cleanUp();
}
