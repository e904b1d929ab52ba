import fs from "node:fs";
import path from "node:path";
import { Pool } from "undici";
import { z } from "zod";
import type { Database } from "../../lib/db";
import { createFakeCircle, FAKE_CIRCLE_TOKEN, type FakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit, FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { newPurchase } from "../../lib/sandbox/stripe-events";
import { cleanups, fmt, ms, quiet } from "./common";
import { ErrorTally, latencySummary, postEvent, signedCheckout, type Latency } from "./load";
import { startCpuMeter, type Child } from "./processes";

// Payment to access: purchases sent at a steady rate (open loop: the schedule does not wait
// for answers), each timed from the moment its webhook is sent to the moment the fake
// Circle holds the buyer in the access group. The fake runs in this process, so its state
// is read directly, every WATCH_MS.

const WATCH_MS = 2;

export interface AccessOptions {
  origin: string;
  path: string;
  secret: string;
  purchases: number;
  perSecond: number;
  /** How long to wait for the last grants after the last purchase was sent. */
  settleMs: number;
  circle: FakeCircle;
  accessGroupId: number;
}

export interface AccessResult {
  sent: number;
  granted: number;
  /** Webhook sent to membership held, ms, over the granted purchases. */
  latency: Latency;
  errors: ErrorTally;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function paymentToAccess(options: AccessOptions): Promise<AccessResult> {
  const sentAt = new Map<string, number>();
  const grantedAt = new Map<string, number>();
  // Members are only added during the run, and membersOf lists them in the order they were added.
  let seen = options.circle.membersOf(options.accessGroupId).length;
  const watch = setInterval(() => {
    const members = options.circle.membersOf(options.accessGroupId);
    const now = performance.now();
    for (; seen < members.length; seen++) grantedAt.set(members[seen]!, now);
  }, WATCH_MS);

  const pool = new Pool(options.origin, { connections: 8 });
  const errors = new ErrorTally();
  const acks: Array<Promise<void>> = [];
  try {
    const start = performance.now();
    for (let i = 0; i < options.purchases; i++) {
      await sleep(start + (i * 1000) / options.perSecond - performance.now());
      const purchase = newPurchase();
      const event = signedCheckout(options.secret, purchase);
      sentAt.set(purchase.email, performance.now());
      acks.push(postEvent(pool, options.path, event).then((failure) => void (failure && errors.add(failure))));
    }
    await Promise.all(acks);
    const deadline = performance.now() + options.settleMs;
    while (grantedAt.size < sentAt.size && performance.now() < deadline) await sleep(20);
  } finally {
    clearInterval(watch);
    await pool.close();
  }

  const latencies = [...sentAt].flatMap(([email, at]) => {
    const granted = grantedAt.get(email);
    return granted === undefined ? [] : [granted - at];
  });
  return { sent: sentAt.size, granted: latencies.length, latency: latencySummary(latencies), errors };
}

/** The payment-to-access settings (environment), shared by the ingest benchmark and access-run. */
export const accessSettings = {
    BENCH_PURCHASES: z.coerce.number().int().positive().default(200),
    BENCH_PURCHASE_RATE: z.coerce.number().positive().default(20),
    BENCH_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    BENCH_CIRCLE_LATENCY_MS: z.coerce.number().int().min(0).default(50),
    BENCH_SETTLE_S: z.coerce.number().positive().default(120),
};

type AccessSettings = { [K in keyof typeof accessSettings]: z.infer<(typeof accessSettings)[K]> };

/** The run's options from the settings above. */
export const accessRunSettings = (settings: AccessSettings) => ({
  purchases: settings.BENCH_PURCHASES,
  perSecond: settings.BENCH_PURCHASE_RATE,
  workerConcurrency: settings.BENCH_WORKER_CONCURRENCY,
  circleLatencyMs: settings.BENCH_CIRCLE_LATENCY_MS,
  settleS: settings.BENCH_SETTLE_S,
});

export interface AccessRunOptions {
  db: Database;
  databaseUrl: string;
  ingestOrigin: string;
  secret: string;
  /** A folder for the plan catalog file. */
  tmp: string;
  /** Starts a child process and stops it at cleanup. */
  start: (name: string, args: string[], env: Record<string, string>) => Child;
  purchases: number;
  perSecond: number;
  workerConcurrency: number;
  circleLatencyMs: number;
  settleS: number;
  quietWaitS: number;
}

/**
 * Payment to access through the product's worker process (npm run worker) against fake Circle
 * and Kit, with purchases sent to the ingest server at `ingestOrigin`; prints and returns the
 * figures, what became of the jobs, and the CPU the run took.
 */
/**
 * The fake Circle and Kit for a benchmark, started (and stopped at cleanup), with a one-plan
 * catalog whose access group and tags are theirs.
 */
export async function startBenchProviders() {
  const circle = createFakeCircle();
  const kit = createFakeKit();
  const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
  cleanups.push(() => Promise.all([circle.stop(), kit.stop()]).then(() => undefined));
  const group = circle.addAccessGroup("Community");
  const tag = (name: string) => kit.addTag(name);
  const catalog = {
    version: 1,
    promotionalTagIds: [tag("promotions")],
    plans: [
      {
        key: "community_monthly",
        name: "Community (monthly)",
        stripePriceIds: [newPurchase().priceId],
        circleAccessGroupIds: [group],
        kitTagIds: { active: [tag("paid_active")], onboarding: [tag("onboarding")], pastDue: [tag("payment_failed")], canceled: [tag("offboarding")], refunded: [tag("refunded")] },
      },
    ],
  };
  return { circle, kit, circleUrl: circleServer.url, kitUrl: kitServer.url, group, catalog };
}

export async function accessRun(options: AccessRunOptions) {
  const { db, databaseUrl, ingestOrigin, secret, tmp, start } = options;
  const { circle, kit, circleUrl, kitUrl, group, catalog } = await startBenchProviders();
  circle.latencyMs = options.circleLatencyMs;
  const catalogFile = path.join(tmp, "plan-catalog.json");
  fs.writeFileSync(catalogFile, JSON.stringify(catalog));

  // The throughput cells left their events queued; the worker must start from an empty outbox.
  await db.script(`TRUNCATE "Job", "WebhookEvent"`);
  // The product's worker process (npm run worker); at info it logs its start and nothing per job.
  const worker = start("worker", ["--import", "tsx", "scripts/worker.ts"], {
    DATABASE_URL: databaseUrl,
    APP_MODE: "demo",
    LOG_LEVEL: "info",
    STRIPE_WEBHOOK_SECRET: secret,
    KIT_WEBHOOK_SECRET: "bench-kit-webhook-secret",
    CIRCLE_API_URL: circleUrl,
    CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN,
    KIT_API_URL: kitUrl,
    KIT_API_KEY: FAKE_KIT_API_KEY,
    PLAN_CATALOG: catalogFile,
    WORKER_CONCURRENCY: String(options.workerConcurrency),
  });
  await worker.waitForLine(/worker started/, 60_000);

  await quiet(options.quietWaitS);
  const meter = startCpuMeter(worker.pid);
  const startedAt = performance.now();
  const result = await paymentToAccess({
    origin: ingestOrigin,
    path: "/api/webhooks/stripe",
    secret,
    purchases: options.purchases,
    perSecond: options.perSecond,
    settleMs: options.settleS * 1000,
    circle,
    accessGroupId: group,
  });
  const cpu = meter.stop();
  const seconds = (performance.now() - startedAt) / 1000;
  await worker.stop();
  // Where the time went: each job from enqueued to finished (queue wait + run), by kind.
  const jobs = await db.sql<{ kind: string; status: string; n: number; attempts: number; p50: number | null; p95: number | null }>(
    `SELECT kind, status::text AS status, count(*)::int AS n, sum(attempts)::int AS attempts,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ("finishedAt" - "createdAt")) * 1000) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ("finishedAt" - "createdAt")) * 1000) AS p95
       FROM "Job" GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const jobSummary = jobs
    .map((row) => `${row.kind} ${row.status} ${row.n} (${row.attempts} attempts${row.p50 === null ? "" : `, enqueued to finished p50 ${ms(row.p50)} / p95 ${ms(row.p95 ?? Number.NaN)} ms`})`)
    .join("; ");
  const circleRequests = circle.requests().length;
  console.log(
    `  ${result.granted}/${result.sent} granted: p50 ${ms(result.latency.p50)} / p95 ${ms(result.latency.p95)} / max ${ms(result.latency.max)} ms; ` +
      `ack errors ${result.errors.count}${result.errors.count ? ` (${result.errors.describe()})` : ""}`,
  );
  // % of one core over the run, as CPU milliseconds per purchase sent.
  const perPurchase = (percent: number) => fmt((10 * percent * seconds) / result.sent, 1);
  const cpuLine =
    `machine ${fmt(cpu.machine)}%: bench process ${fmt(cpu.client)}%, worker ${fmt(cpu.server ?? 0)}%, postgres ${fmt(cpu.postgres)}%, other ${fmt(cpu.other)}%; steal ${fmt(cpu.steal)}%; ` +
    `per purchase: worker ${perPurchase(cpu.server ?? 0)} ms, postgres ${perPurchase(cpu.postgres)} ms`;
  console.log(`  jobs at the end: ${jobSummary}; fake Circle served ${circleRequests} requests, fake Kit ${kit.requests().length}`);
  // Kit allows 120 requests a minute per API key, so a run of any size ends with tag jobs still
  // waiting for the budget: requests are counted per tag job carried out, times the tag jobs a
  // purchase makes, not per purchase sent.
  const kitJobs = (status?: string) => jobs.filter((row) => row.kind === "kit.tag" && (status === undefined || row.status === status)).reduce((sum, row) => sum + Number(row.n), 0);
  const kitDone = kitJobs("succeeded");
  const kitPerPurchase = kitDone === 0 ? Number.NaN : (kit.requests().length / kitDone) * (kitJobs() / Math.max(1, result.sent));
  console.log(
    `  Kit: ${fmt(kitPerPurchase, 2)} requests per purchase (${kit.requests().length} requests for ${kitDone} of ${kitJobs()} tag jobs carried out), ` +
      `so its 120 requests/minute absorb ${fmt(120 / kitPerPurchase)} purchases per minute`,
  );
  console.log(`  CPU during the run: ${cpuLine}`);
  return { result, jobSummary, cpuLine };
}
