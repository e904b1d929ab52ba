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
// 3. A metrics scrape's reads (lib/observability/database-metrics.ts), one by one, on an empty
//    outbox (baseline, same run) and on a large one: BENCH_BACKLOG due jobs, BENCH_HISTORY jobs
//    finished over the last 30 days, and BENCH_CUSTOMERS checkouts of the last hour, half of them
//    with access and half with a grant still queued.
import { z } from "zod";
import type { Database } from "../../lib/db";
import { jobRow } from "../../lib/jobs/kinds";
import { claimJobs, enqueue } from "../../lib/jobs/queue";
import { createWorker } from "../../lib/jobs/worker";
import { collectDatabaseMetrics, databaseMetricReads } from "../../lib/observability/database-metrics";
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
    BENCH_HISTORY: z.coerce.number().int().min(0).default(300_000),
    BENCH_CUSTOMERS: z.coerce.number().int().positive().default(20_000),
    BENCH_SCRAPES: z.coerce.number().int().positive().default(20),
    /** Which parts run, comma-separated. */
    BENCH_PARTS: z
      .string()
      .default("overload,claim,scrape")
      .transform((parts) => new Set(parts.split(",").map((part) => part.trim())))
      .pipe(z.set(z.enum(["overload", "claim", "scrape"]))),
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

/** Each read of a scrape, BENCH_SCRAPES times one after another, then whole scrapes (reads run together): p50 / p95 ms by name. */
async function scrapeCost(db: Database): Promise<Map<string, { p50: number; p95: number }>> {
  const reads: Record<string, () => Promise<unknown>> = { ...databaseMetricReads(db), "whole scrape": () => collectDatabaseMetrics(db) };
  const costs = new Map<string, { p50: number; p95: number }>();
  for (const [name, read] of Object.entries(reads)) {
    const timings: number[] = [];
    for (let i = 0; i < settings.BENCH_SCRAPES; i++) {
      const started = performance.now();
      await read();
      timings.push(performance.now() - started);
    }
    const summary = latencySummary(timings);
    costs.set(name, { p50: summary.p50, p95: summary.p95 });
  }
  return costs;
}

/** A large outbox's state as a scrape reads it, written in bulk (the product's writers would take an hour). */
async function fillScrapeState(db: Database) {
  const customers = settings.BENCH_CUSTOMERS;
  await db.sql(`INSERT INTO "Customer" (id, email, "updatedAt") SELECT 'bench-c-' || g, 'c' || g || '@bench.example', now() FROM generate_series(1, $1::int) g`, [customers]);
  await db.sql(
    `INSERT INTO "WebhookEvent" (id, provider, "eventId", type, "providerCreatedAt", "receivedAt", outcome, payload, "customerId")
     SELECT 'bench-e-' || g, 'stripe', 'evt_bench_' || g, 'checkout.session.completed', now(), now() - make_interval(secs => g % 3500), 'applied', '{}', 'bench-c-' || g
       FROM generate_series(1, $1::int) g`,
    [customers],
  );
  // Odd customers have access (a grant that succeeded a few seconds after the checkout); even ones wait for theirs.
  await db.sql(
    `INSERT INTO "AccessGrant" (id, "customerId", "accessGroupId", state, version, "updatedAt")
     SELECT 'bench-g-' || g, 'bench-c-' || g, 1, (CASE WHEN g % 2 = 1 THEN 'active' ELSE 'pending' END)::"AccessState", 1, now() FROM generate_series(1, $1::int) g`,
    [customers],
  );
  await db.sql(
    `INSERT INTO "Job" (id, kind, payload, "dedupeKey", status, priority, "runAt", "customerId", "createdAt", "finishedAt", "updatedAt")
     SELECT 'bench-j-' || g, 'circle.grant', jsonb_build_object('customerId', 'bench-c-' || g, 'accessGroupId', 1, 'version', 1), 'bench-grant-' || g,
            (CASE WHEN g % 2 = 1 THEN 'succeeded' ELSE 'queued' END)::"JobStatus", 10, now(), 'bench-c-' || g,
            now() - make_interval(secs => g % 3500), CASE WHEN g % 2 = 1 THEN now() - make_interval(secs => g % 3500 - 5) END, now()
       FROM generate_series(1, $1::int) g`,
    [customers],
  );
  await db.sql(
    `INSERT INTO "Job" (id, kind, payload, "dedupeKey", status, priority, "runAt", "createdAt", "finishedAt", "updatedAt")
     SELECT 'bench-h-' || g, 'lifecycle.apply', jsonb_build_object('ledgerId', 'history-' || g), 'bench-history-' || g, 'succeeded', 0,
            now() - make_interval(secs => g % 2592000), now() - make_interval(secs => g % 2592000), now() - make_interval(secs => g % 2592000), now() - make_interval(secs => g % 2592000)
       FROM generate_series(1, $1::int) g`,
    [settings.BENCH_HISTORY],
  );
  await fillBacklog(db, settings.BENCH_BACKLOG);
  await db.sql(`VACUUM ANALYZE`);
}

async function main() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 4);
  const machine = await machineInfo(db);
  console.log(`machine: ${machine.nproc} cores, ${machine.cpuModel}; ${machine.node}; ${machine.postgres}`);
  await quiet(settings.BENCH_QUIET_S);
  if (settings.BENCH_PARTS.has("overload")) await overload();
  if (settings.BENCH_PARTS.has("claim")) await claims(db);
  if (settings.BENCH_PARTS.has("scrape")) await scrapes(db);
}

async function claims(db: Database) {
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
  await db.sql(`ALTER TABLE "Job" RESET (autovacuum_enabled)`);
}

async function scrapes(db: Database) {
  await emptyOutbox(db);
  await quiet(settings.BENCH_QUIET_S);
  const empty = await scrapeCost(db);
  await fillScrapeState(db);
  await quiet(settings.BENCH_QUIET_S);
  const loaded = await scrapeCost(db);
  console.log(
    `\n## A metrics scrape's reads, each ${fmt(settings.BENCH_SCRAPES)} times: empty outbox (baseline) against ${fmt(settings.BENCH_BACKLOG)} due jobs, ` +
      `${fmt(settings.BENCH_HISTORY)} finished over 30 days, ${fmt(settings.BENCH_CUSTOMERS)} checkouts in the last hour`,
  );
  console.log(`| read | empty p50 / p95 ms | large p50 / p95 ms |`);
  console.log(`|---|---|---|`);
  for (const [name, cost] of loaded) {
    const base = empty.get(name)!;
    console.log(`| ${name} | ${ms(base.p50)} / ${ms(base.p95)} | ${ms(cost.p50)} / ${ms(cost.p95)} |`);
  }
}

try {
  await main();
} finally {
  await cleanUp();
}
