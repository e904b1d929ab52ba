import fs from "node:fs";
import type { Database } from "../../lib/db";
import type { JobFailure } from "../../lib/jobs/queue";
import { createFakeCircle, type CircleFault } from "../../lib/sandbox/circle";
import { createFakeKit, type KitFault } from "../../lib/sandbox/kit";
import { signStripe } from "../../lib/sandbox/stripe-events";
import { freePort, startNode, waitForHttp, type Child } from "../bench/processes";
import { compareCustomer, type ObservedCustomer } from "./compare";
import { DEFAULT_DELIVERY, generateScenario, planDeliveries, seededRandom, type Scenario } from "./model";
import { CHAOS_IDS, chaosCatalog, expectScenario } from "./oracle";

// The chaos run: the scenario's deliveries sent by many senders at once to the Next webhook
// route and the lean ingest server, worker processes applying them against a fake Circle and
// Kit that fail a share of requests, workers SIGKILLed and restarted every few seconds and the
// ingest server killed too; then, once the outbox is idle, every customer compared with the
// oracle (test/chaos/oracle.ts) until all agree or time runs out.

const SECRET = "whsec_chaos_run_secret";

export interface ChaosOptions {
  seed: number;
  events: number;
  customers: number;
  /** A PostgreSQL database, migrated and empty, that child processes can open. */
  database: { db: Database; url: string };
  workers?: number;
  senders?: number;
  /** Share of Circle and Kit requests answered with a fault. */
  faultRate?: number;
  /** A worker is SIGKILLed every this many ms (at random in the range). */
  workerKillEveryMs?: [number, number];
  ingestKillEveryMs?: [number, number];
  /** Kills stop when the outbox is idle after the last delivery, or this long after it (default 30 s). */
  killWindowAfterSendMs?: number;
  /** How long after the last delivery the run may take to agree with the oracle. */
  convergeTimeoutMs?: number;
  /** How far apart in provider time two events may be and still arrive in either order (default: a day). */
  reorderWindowSeconds?: number;
  /** Send to the Next route too (needs a production build, .next/BUILD_ID). */
  useNext?: boolean;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  reorderWindowSeconds: number;
  events: number;
  customers: number;
  deliveries: number;
  /** Deliveries beyond each event's first. */
  repeatedDeliveries: number;
  /** Deliveries acknowledged per target. */
  acknowledged: { next: number; ingest: number };
  /** Deliveries that got no 2xx and were sent again (a killed server, a timeout). */
  resent: number;
  workerKills: number;
  ingestKills: number;
  /** Provider requests answered with an injected fault. */
  faults: { circle: number; kit: number };
  /** Events acknowledged but missing from the ledger, or never applied. */
  lost: string[];
  duplicates: string[];
  /** Customers whose record, Circle and Kit equal the oracle's. */
  converged: number;
  /** Customer records beyond one per Stripe customer (a record split in two). */
  extraRecords: number;
  /** Dead jobs, each with its failure history (every failed attempt and lost lease, oldest first). */
  deadJobs: Array<{ kind: string; lastError: string | null; failures: JobFailure[] }>;
  /** When the outbox never went idle: its queued and running jobs, counted by kind and state. */
  unfinishedJobs: string[];
  /** First differences of customers that did not converge. */
  differences: string[];
  sendMs: number;
  /** From the last acknowledged delivery to the first full agreement with the oracle; null: never. */
  timeToConvergeMs: number | null;
}

const CIRCLE_FAULTS: CircleFault[] = [
  { status: 500 },
  { status: 503 },
  { status: 502 },
  { status: 429, retryAfterSeconds: 1 },
  { timeoutMs: 2_000 },
  // The write lands, then the connection drops before the answer.
  { timeoutMs: 0, applyThenHang: true },
];
const KIT_FAULTS: KitFault[] = [{ status: 500 }, { status: 503 }, { status: 502 }, { status: 429 }, { timeoutMs: 2_000 }, { timeoutMs: 0, applyThenHang: true }];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const faultStatus = (status: number | null) => status === null || status === 429 || status >= 500;

async function observe(db: Database): Promise<{ records: Map<string, NonNullable<ObservedCustomer["record"]>>; customerRows: number }> {
  const rows = await db.sql<{
    stripeCustomerId: string;
    email: string;
    entitlements: Array<{ sourceId: string; planKey: string; status: string }>;
    grants: Array<{ id: number; state: string }>;
    tags: Array<{ id: number; state: string }>;
  }>(
    `SELECT ref."externalId" AS "stripeCustomerId", customer.email,
       (SELECT COALESCE(json_agg(json_build_object('sourceId', "sourceId", 'planKey', "planKey", 'status', status)), '[]') FROM "Entitlement" WHERE "customerId" = customer.id) AS entitlements,
       (SELECT COALESCE(json_agg(json_build_object('id', "accessGroupId", 'state', state)), '[]') FROM "AccessGrant" WHERE "customerId" = customer.id) AS grants,
       (SELECT COALESCE(json_agg(json_build_object('id', "tagId", 'state', state)), '[]') FROM "EmailTagState" WHERE "customerId" = customer.id) AS tags
     FROM "ExternalRef" ref JOIN "Customer" customer ON customer.id = ref."customerId"
     WHERE ref.provider = 'stripe' AND ref."externalId" LIKE 'cus\\_%'`,
  );
  const [count] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Customer"`);
  const records = new Map(
    rows.map((row) => [
      row.stripeCustomerId,
      {
        email: row.email,
        entitlements: row.entitlements,
        grants: new Map(row.grants.map((grant) => [grant.id, grant.state])),
        tags: new Map(row.tags.map((tag) => [tag.id, tag.state])),
      },
    ]),
  );
  return { records, customerRows: count?.n ?? 0 };
}

/** Jobs due now or soon, running or not: the outbox is idle at zero (invitation checks are days away). */
async function jobsNotDone(db: Database): Promise<string[]> {
  const rows = await db.sql<{ kind: string; status: string; n: number; due: number; lost: number; error: string | null }>(
    `SELECT kind, status::text AS status, count(*)::int AS n, count(*) FILTER (WHERE "runAt" <= now())::int AS due,
            max("leasesLost")::int AS lost, max("lastError") AS error
       FROM "Job" WHERE status IN ('queued', 'running') AND kind <> 'circle.invitation_check' GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return rows.map((row) => `${row.kind} ${row.status}: ${row.n} (${row.due} due, up to ${row.lost} leases lost)${row.error ? `, e.g. ${row.error}` : ""}`);
}

async function busyJobs(db: Database): Promise<number> {
  const [row] = await db.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" < now() + interval '30 seconds' AND kind <> 'circle.invitation_check'`,
  );
  return row?.n ?? 0;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const { db, url: databaseUrl } = options.database;
  const workerCount = options.workers ?? 3;
  const senderCount = options.senders ?? 32;
  const faultRate = options.faultRate ?? 0.1;
  const [workerKillMin, workerKillMax] = options.workerKillEveryMs ?? [2_000, 5_000];
  const [ingestKillMin, ingestKillMax] = options.ingestKillEveryMs ?? [6_000, 12_000];
  const useNext = options.useNext ?? fs.existsSync(".next/BUILD_ID");
  const random = seededRandom(options.seed ^ 0xc4a05);

  const scenario: Scenario = generateScenario(options);
  const reorderWindowSeconds = options.reorderWindowSeconds ?? DEFAULT_DELIVERY.reorderWindowSeconds;
  const deliveries = planDeliveries(scenario, { ...DEFAULT_DELIVERY, reorderWindowSeconds });
  // Every event is long past, so the oracle may derive now, before the run starts.
  const expected = expectScenario(scenario, chaosCatalog(), new Date());
  log(`seed ${options.seed}: ${scenario.events.length} events for ${scenario.customers.length} customers, ${deliveries.length} deliveries`);

  const circle = createFakeCircle();
  const kit = createFakeKit();
  const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
  circle.addAccessGroup("Community", CHAOS_IDS.communityGroup);
  circle.addAccessGroup("Masterclass", CHAOS_IDS.masterclassGroup);
  for (const [name, id] of [
    ["paid_active", CHAOS_IDS.activeTag],
    ["onboarding", CHAOS_IDS.onboardingTag],
    ["payment_failed", CHAOS_IDS.pastDueTag],
    ["offboarding", CHAOS_IDS.canceledTag],
    ["refunded", CHAOS_IDS.refundedTag],
    ["promotions", CHAOS_IDS.promoTag],
  ] as const) {
    kit.addTag(name, id);
  }
  circle.injectRandomFaults({ rate: faultRate, faults: CIRCLE_FAULTS, random });
  kit.injectRandomFaults({ rate: faultRate, faults: KIT_FAULTS, random });

  const serverEnv = { DATABASE_URL: databaseUrl, STRIPE_WEBHOOK_SECRET: SECRET, APP_MODE: "demo", LOG_LEVEL: "warn", RUN_WORKER: "0", NEXT_TELEMETRY_DISABLED: "1" };
  const workerEnv = { CHAOS_DATABASE_URL: databaseUrl, CHAOS_CIRCLE_URL: circleServer.url, CHAOS_KIT_URL: kitServer.url, LOG_LEVEL: "silent" };
  const startWorker = async (slot: number) => {
    const child = startNode(`worker${slot}`, ["--import", "tsx", "test/chaos/worker.ts"], workerEnv);
    await child.waitForLine(/chaos worker ready/, 60_000);
    return child;
  };
  const ingestPort = await freePort();
  const startIngest = async () => {
    const child = startNode("ingest", ["--import", "tsx", "scripts/ingest.ts"], { ...serverEnv, INGEST_PORT: String(ingestPort) });
    await waitForHttp(`http://127.0.0.1:${ingestPort}/api/health`, child, 60_000);
    return child;
  };
  /** SIGKILL to the child's process group (it was started in a group of its own), then wait for it to go. */
  const kill = async (child: Child) => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone already
    }
    await child.stop();
  };

  const workers: Child[] = [];
  let ingest: Child | null = null;
  let next: Child | null = null;
  const stopAll = async () => {
    await Promise.all([...workers, ingest, next].map((child) => child?.stop()));
    await Promise.all([circle.stop(), kit.stop()]);
  };

  try {
    for (let slot = 0; slot < workerCount; slot++) workers.push(await startWorker(slot));
    ingest = await startIngest();
    const targets: Array<{ name: "next" | "ingest"; url: string }> = [{ name: "ingest", url: `http://127.0.0.1:${ingestPort}/api/webhooks/stripe` }];
    if (useNext) {
      const nextPort = await freePort();
      next = startNode("next", ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(nextPort)], { ...serverEnv, PORT: String(nextPort) });
      await waitForHttp(`http://127.0.0.1:${nextPort}/api/health`, next, 90_000);
      targets.push({ name: "next", url: `http://127.0.0.1:${nextPort}/api/webhooks/stripe` });
    }
    log(`started ${workerCount} workers, the ingest server${useNext ? " and next start" : " (no Next build: ingest only)"}`);

    // Killers: run until the outbox is idle after the last delivery.
    let killing = true;
    let workerKills = 0;
    let ingestKills = 0;
    let ingestDown: Promise<void> = Promise.resolve();
    const workerKiller = (async () => {
      while (killing) {
        await sleep(workerKillMin + random() * (workerKillMax - workerKillMin));
        if (!killing) break;
        const slot = Math.floor(random() * workers.length);
        await kill(workers[slot]!);
        workerKills++;
        workers[slot] = await startWorker(slot);
      }
    })();
    const ingestKiller = (async () => {
      while (killing) {
        await sleep(ingestKillMin + random() * (ingestKillMax - ingestKillMin));
        if (!killing) break;
        ingestDown = (async () => {
          await kill(ingest!);
          ingestKills++;
          await sleep(500);
          ingest = await startIngest();
        })();
        await ingestDown;
      }
    })();

    const acknowledged = { next: 0, ingest: 0 };
    const ackedEvents = new Set<string>();
    let resent = 0;
    let cursor = 0;
    const sendStarted = performance.now();
    const sender = async (senderRandom: () => number) => {
      while (cursor < deliveries.length) {
        const delivery = deliveries[cursor++]!;
        const { envelope } = scenario.events[delivery.event]!;
        const body = JSON.stringify(envelope);
        for (let attempt = 0; ; attempt++) {
          const target = targets[Math.floor(senderRandom() * targets.length)]!;
          try {
            const response = await fetch(target.url, {
              method: "POST",
              headers: { "content-type": "application/json", "stripe-signature": signStripe(body, SECRET) },
              body,
              signal: AbortSignal.timeout(15_000),
            });
            await response.arrayBuffer();
            if (response.ok) {
              acknowledged[target.name]++;
              ackedEvents.add(envelope.id);
              break;
            }
          } catch {
            // refused or reset: the server was killed; Stripe sends again, and so do we
          }
          resent++;
          await sleep(Math.min(1_000, 50 * (attempt + 1)));
        }
      }
    };
    const progress = setInterval(() => log(`sending: ${Math.min(cursor, deliveries.length)}/${deliveries.length} deliveries handed out, ${workerKills} worker kills, ${ingestKills} ingest kills`), 20_000);
    await Promise.all(Array.from({ length: senderCount }, (_, i) => sender(seededRandom(options.seed + i + 1)))).finally(() => clearInterval(progress));
    const sendMs = performance.now() - sendStarted;
    const sentAt = performance.now();
    log(`sent ${deliveries.length} deliveries in ${(sendMs / 1000).toFixed(1)} s (${resent} resent); ${workerKills} worker kills, ${ingestKills} ingest kills so far`);

    // Converge: stop the killers once the outbox is idle, then compare until all agree.
    const deadline = sentAt + (options.convergeTimeoutMs ?? 180_000);
    let timeToConvergeMs: number | null = null;
    let customerRows = 0;
    const compareAll = async () => {
      const observed = await observe(db);
      customerRows = observed.customerRows;
      const circleMembers = circle.memberships();
      const kitSubscribers = kit.subscriberTags();
      return expected.map((customer) => {
        const emails = new Set(customer.emails.map((email) => email.toLowerCase()));
        return compareCustomer(customer, {
          record: observed.records.get(customer.stripeCustomerId) ?? null,
          circleMembers: circleMembers.filter((member) => emails.has(member.email.toLowerCase())),
          kitSubscribers: kitSubscribers.filter((subscriber) => emails.has(subscriber.email.toLowerCase())),
        });
      });
    };
    let verdicts: Awaited<ReturnType<typeof compareAll>> = [];
    // Kills go on while the outbox works, but not past this: under a loaded machine a restart
    // can take longer than the gap between kills.
    const killsEndAt = sentAt + (options.killWindowAfterSendMs ?? 30_000);
    // Idle with differences this long: nothing is left to change them (a dead-lettered job), so stop waiting.
    const stuckAfterMs = 30_000;
    let idleSince: number | null = null;
    for (;;) {
      const busy = await busyJobs(db);
      if (busy > 0) idleSince = null;
      if (killing && performance.now() > killsEndAt) {
        killing = false;
        await Promise.all([workerKiller, ingestKiller, ingestDown]);
      }
      if (busy === 0) {
        if (killing) {
          killing = false;
          await Promise.all([workerKiller, ingestKiller, ingestDown]);
          continue;
        }
        verdicts = await compareAll();
        if (verdicts.every((verdict) => verdict.differences.length === 0)) {
          timeToConvergeMs = performance.now() - sentAt;
          break;
        }
        idleSince ??= performance.now();
        if (performance.now() - idleSince > stuckAfterMs) break;
      }
      if (performance.now() > deadline) break;
      await sleep(1_000);
    }
    killing = false;
    await Promise.all([workerKiller, ingestKiller, ingestDown]);
    // Never idle until the deadline: compare what there is, and say what was still to do.
    const unfinishedJobs = timeToConvergeMs === null ? await jobsNotDone(db) : [];
    if (timeToConvergeMs === null) verdicts = await compareAll();

    const ledger = new Map(
      (await db.sql<{ eventId: string; outcome: string; error: string | null }>(`SELECT "eventId", outcome::text AS outcome, error FROM "WebhookEvent" WHERE provider = 'stripe'`)).map((row) => [
        row.eventId,
        row,
      ]),
    );
    const lost = scenario.events.flatMap(({ envelope }) => {
      const row = ledger.get(envelope.id);
      if (!row) return [`${envelope.id} (${envelope.type}): ${ackedEvents.has(envelope.id) ? "acknowledged but not in the ledger" : "never acknowledged"}`];
      return row.outcome === "applied" ? [] : [`${envelope.id} (${envelope.type}): ${row.outcome}${row.error ? ` (${row.error})` : ""}`];
    });
    const deadJobs = await db.sql<ChaosReport["deadJobs"][number]>(`SELECT kind, "lastError", failures FROM "Job" WHERE status = 'dead'`);
    const differing = verdicts.flatMap((verdict, index) => (verdict.differences.length > 0 ? [`customer ${index}: ${verdict.differences.join("; ")}`] : []));
    return {
      seed: options.seed,
      reorderWindowSeconds,
      events: scenario.events.length,
      customers: scenario.customers.length,
      deliveries: deliveries.length,
      repeatedDeliveries: deliveries.filter((delivery) => delivery.copy > 0).length,
      acknowledged,
      resent,
      workerKills,
      ingestKills,
      faults: {
        circle: circle.requests().filter((request) => faultStatus(request.status)).length,
        kit: kit.requests().filter((request) => faultStatus(request.status)).length,
      },
      lost,
      duplicates: verdicts.flatMap((verdict, index) => verdict.duplicates.map((duplicate) => `customer ${index}: ${duplicate}`)),
      converged: verdicts.filter((verdict) => verdict.differences.length === 0).length,
      extraRecords: Math.max(0, customerRows - scenario.customers.length),
      deadJobs,
      unfinishedJobs,
      differences: differing,
      sendMs,
      timeToConvergeMs,
    };
  } finally {
    await stopAll();
  }
}

/** The report as `npm run chaos` prints it. */
export function formatReport(report: ChaosReport): string {
  const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    `seed                 ${report.seed}   (replay: npm run chaos -- --seed ${report.seed} --events ${report.events} --customers ${report.customers} --reorder-days ${report.reorderWindowSeconds / 86_400})`,
    `events sent          ${report.events} for ${report.customers} customers`,
    `deliveries           ${report.deliveries} (${report.repeatedDeliveries} repeats), acknowledged by next ${report.acknowledged.next} / ingest ${report.acknowledged.ingest}, ${report.resent} resent after a failed delivery`,
    `crashes survived     ${report.workerKills + report.ingestKills} (${report.workerKills} worker SIGKILLs, ${report.ingestKills} ingest server SIGKILLs)`,
    `provider faults      circle ${report.faults.circle}, kit ${report.faults.kit}`,
    `duplicates           ${report.duplicates.length}`,
    `lost                 ${report.lost.length}`,
    `converged            ${((100 * report.converged) / report.customers).toFixed(1)}% (${report.converged}/${report.customers})`,
    `extra records        ${report.extraRecords}`,
    `dead jobs            ${report.deadJobs.length}`,
    `send time            ${seconds(report.sendMs)}`,
    `time to converge     ${seconds(report.timeToConvergeMs)} after the last delivery`,
  ];
  const sample = (title: string, items: string[]) => (items.length > 0 ? [`${title} (first 20 of ${items.length}):`, ...items.slice(0, 20).map((item) => `  ${item}`)] : []);
  return [
    ...lines,
    ...sample("unfinished jobs", report.unfinishedJobs),
    ...sample("differences", report.differences),
    ...sample("duplicates", report.duplicates),
    ...sample("lost", report.lost),
    ...sample(
      "dead jobs",
      report.deadJobs.map((job) => `${job.kind}: ${job.failures.map((failure) => `#${failure.attempt} ${failure.error}`).join(" | ") || job.lastError || ""}`),
    ),
  ].join("\n");
}
