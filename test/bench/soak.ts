// The soak (npm run soak): the production build under steady load for SOAK_MINUTES (30 by
// default), to show that nothing accumulates: no error, memory and latency flat.
//
// 1. A fresh PostgreSQL database; `next start` (the web app, the offline chat model) and one
//    `npm run worker` process carrying out Circle and Kit side effects against the fake
//    providers (real HTTP, in this process).
// 2. Capacity: the Next webhook route's closed-loop throughput with SOAK_SENDERS senders, measured
//    in this run (SOAK_CAPACITY_S seconds).
// 3. The soak: Stripe checkouts sent open-loop at SOAK_RATE_SHARE of that rate, half by default (each a new customer, so the
//    worker grants, tags and follows up on every one), with SOAK_CONVERSATIONS customers chatting
//    alongside (one turn every SOAK_CHAT_PAUSE_MS each, through POST /api/chat with a signed
//    identity, read to the end of the stream).
// 4. Every SOAK_SAMPLE_S seconds: the web app's and the worker's resident memory and V8 heap in
//    use (their own /metrics: process_resident_memory_bytes, nodejs_heap_size_used_bytes), and
//    each minute's webhook and chat p95. Reported: every error, the slope of each memory series
//    (the first SOAK_WARMUP_MINUTES left out) and whether it is flat (grows < 10% over the run),
//    p95 of the first and last thirds, and the outbox still due at the end.
//
// Needs a production build (`npm run build`) and PostgreSQL (BENCH_POSTGRES_URL).
import crypto from "node:crypto";
import fs from "node:fs";
import { Pool } from "undici";
import { z } from "zod";
import { loadCatalog } from "../../lib/catalog-file";
import { signIdentityToken } from "../../lib/identity";
import { startCatalogFakes } from "../../lib/sandbox/catalog-fakes";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { newPurchase } from "../../lib/sandbox/stripe-events";
import { parseSamples, valueOf } from "../helpers/prom-text";
import { cleanUp, cleanups, createBenchDatabase, fmt, machineInfo, ms } from "./common";
import { closedLoop, ErrorTally, latencySummary, postEvent, signedCheckout } from "./load";
import { freePort, startNode, waitForHttp, type Child } from "./processes";
import { flatness, slopePerMinute, thirds, type Point } from "./soak-stats";

const settings = z
  .object({
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    SOAK_MINUTES: z.coerce.number().positive().default(30),
    SOAK_WARMUP_MINUTES: z.coerce.number().min(0).default(3),
    SOAK_SENDERS: z.coerce.number().int().positive().default(16),
    SOAK_CAPACITY_S: z.coerce.number().positive().default(20),
    SOAK_CONVERSATIONS: z.coerce.number().int().min(0).default(4),
    SOAK_CHAT_PAUSE_MS: z.coerce.number().int().min(0).default(2_000),
    SOAK_SAMPLE_S: z.coerce.number().positive().default(15),
    /** The share of the measured capacity the soak sends at: 0.5 loads the web app; a lower share is a rate one worker keeps up with. */
    SOAK_RATE_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  })
  .parse(process.env);

/** Growth over the run, as a share of the level, under which a memory series counts as flat. */
const FLAT_TOLERANCE = 0.1;
const METRICS_TOKEN = crypto.randomBytes(16).toString("hex");
const IDENTITY_SECRET = crypto.randomBytes(32).toString("hex");
/** Customers who chat, taken in turn. */
const CHAT_CUSTOMERS = 200;
const QUESTIONS = ["did my payment go through?", "I paid but I can't get into the community", "when does my membership renew?", "where is my invitation?"];
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const MiB = 2 ** 20;

interface MemorySample {
  minutes: number;
  /** Outbox jobs due and not done. */
  due: number;
  web: { rss: number; heap: number };
  worker: { rss: number; heap: number };
}

async function memoryOf(url: string): Promise<{ rss: number; heap: number }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const samples = parseSamples(await response.text());
  return { rss: valueOf(samples, "process_resident_memory_bytes"), heap: valueOf(samples, "nodejs_heap_size_used_bytes") };
}

/** One chat turn over HTTP, read to its end; resolves with an error description, or null. */
async function chatTurn(origin: string, token: string, address: string, text: string): Promise<string | null> {
  try {
    const response = await fetch(`${origin}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-forwarded-for": address },
      body: JSON.stringify({ id: crypto.randomUUID(), messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }] }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    if (response.status !== 200) return `chat HTTP ${response.status} ${body.slice(0, 120)}`;
    if (body.includes(`"type":"error"`)) return `chat stream error ${body.slice(0, 120)}`;
    if (!body.includes(`"type":"text-delta"`)) return "chat stream without text";
    return null;
  } catch (error) {
    return `chat ${(error as Error).name}: ${(error as Error).message}`;
  }
}

async function main() {
  if (!fs.existsSync(".next/BUILD_ID")) throw new Error("no Next build: run `npm run build` first");
  const { url: databaseUrl, db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 2);
  const machine = await machineInfo(db);
  console.log(`soak: ${machine.nproc} cores (${machine.cpuModel}), ${fmt(machine.memoryGiB, 1)} GiB, node ${machine.node}, ${machine.postgres}`);
  if (machine.postgres.includes("autovacuum=off")) {
    console.log("soak: WARNING autovacuum is off on this server: the outbox's updated rows are never reclaimed, so its reads slow down as the run goes on (production runs with it on)");
  }

  const catalog = loadCatalog();
  const fakes = await startCatalogFakes(catalog);
  cleanups.push(() => fakes.stop());
  fakes.circle.latencyMs = 0;
  fakes.kit.latencyMs = 0;

  const secret = `whsec_soak_${crypto.randomBytes(12).toString("hex")}`;
  const common = {
    DATABASE_URL: databaseUrl,
    STRIPE_WEBHOOK_SECRET: secret,
    APP_MODE: "demo",
    LOG_LEVEL: "warn",
    RUN_WORKER: "0",
    NEXT_TELEMETRY_DISABLED: "1",
    METRICS_TOKEN,
    CHAT_IDENTITY_SECRET: IDENTITY_SECRET,
    CIRCLE_API_URL: fakes.circleUrl,
    CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN,
    KIT_API_URL: fakes.kitUrl,
    KIT_API_KEY: FAKE_KIT_API_KEY,
  };
  const [webPort, workerMetricsPort] = [await freePort(), await freePort()];
  const web: Child = startNode("next", ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(webPort)], { ...common, PORT: String(webPort) });
  cleanups.push(() => web.stop());
  const worker: Child = startNode("worker", ["--import", "tsx", "scripts/worker.ts"], { ...common, WORKER_METRICS_PORT: String(workerMetricsPort) });
  cleanups.push(() => worker.stop());
  const origin = `http://127.0.0.1:${webPort}`;
  await waitForHttp(`${origin}/api/health`, web, 60_000);
  for (let tries = 0; ; tries += 1) {
    try {
      await memoryOf(`http://127.0.0.1:${workerMetricsPort}/metrics`);
      break;
    } catch (error) {
      if (tries > 120) throw new Error(`the worker's metrics did not answer: ${(error as Error).message}\n${worker.tail()}`);
      await sleep(500);
    }
  }

  console.log(`1. capacity: Next webhook route, ${settings.SOAK_SENDERS} senders, ${settings.SOAK_CAPACITY_S} s`);
  const capacity = await closedLoop({ origin, path: "/api/webhooks/stripe", senders: settings.SOAK_SENDERS, warmupMs: 3_000, measureMs: settings.SOAK_CAPACITY_S * 1000, secret });
  const rate = capacity.eventsPerSecond * settings.SOAK_RATE_SHARE;
  console.log(`   ${fmt(capacity.eventsPerSecond)} events/s (p95 ${ms(capacity.latency.p95)} ms); the soak sends ${fmt(rate, 1)}/s`);
  // The capacity run's side effects are still queued: the soak starts with them (waiting for one
  // worker to carry them out would take longer than the measurement), and its backlog is reported.
  const [backlogAtStart] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" <= now()`);
  console.log(`   outbox due at the start: ${backlogAtStart?.n ?? 0} jobs`);

  const durationMs = settings.SOAK_MINUTES * 60_000;
  console.log(`2. soak: ${settings.SOAK_MINUTES} min at ${fmt(rate, 1)} checkouts/s with ${settings.SOAK_CONVERSATIONS} customers chatting`);
  const startedAt = performance.now();
  const stopAt = startedAt + durationMs;
  const minuteOf = (at: number) => Math.floor((at - startedAt) / 60_000);
  const webhookLatency = new Map<number, number[]>();
  const chatLatency = new Map<number, number[]>();
  const errors = new ErrorTally();
  const memory: MemorySample[] = [];
  let sent = 0;
  let chats = 0;
  const record = (series: Map<number, number[]>, at: number, latency: number) => {
    const minute = minuteOf(at);
    series.set(minute, [...(series.get(minute) ?? []), latency]);
  };

  // Open loop: a checkout every 1/rate seconds whatever the answers, on a pool wide enough that
  // a slow answer never holds the next one back.
  const pool = new Pool(origin, { connections: 64, pipelining: 1 });
  const inFlight = new Set<Promise<void>>();
  const sender = (async () => {
    const interval = 1000 / rate;
    for (let next = performance.now(); next < stopAt; next += interval) {
      // Always through the event loop, also when behind: a sender that never yields would queue
      // every remaining request before a single answer (or a sample) could be read.
      await sleep(Math.max(0, next - performance.now()));
      const event = signedCheckout(secret, newPurchase({ email: `soak-${sent}@example.com` }));
      sent += 1;
      const sentAt = performance.now();
      const request: Promise<void> = postEvent(pool, "/api/webhooks/stripe", event).then((failure) => {
        inFlight.delete(request);
        if (failure) errors.add(`webhook ${failure}`);
        else record(webhookLatency, sentAt, performance.now() - sentAt);
      });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
  })();

  // Chatting customers: each turn from the next of the first CHAT_CUSTOMERS soak customers (each
  // with an address of their own), so the per-customer and per-address limits, which stay as in
  // production, see people writing every minute or so, as people do.
  const tokens = new Map<number, string>();
  const identityOf = async (customer: number) => {
    let token = tokens.get(customer);
    if (!token) {
      token = await signIdentityToken(`soak-${customer}@example.com`, IDENTITY_SECRET, { expiresInSeconds: 3_600 + durationMs / 1000 });
      tokens.set(customer, token);
    }
    return token;
  };
  let chatCursor = 0;
  const chatters = Array.from({ length: settings.SOAK_CONVERSATIONS }, async () => {
    for (let turn = 0; performance.now() < stopAt; turn += 1) {
      const customer = chatCursor++ % CHAT_CUSTOMERS;
      const sentAt = performance.now();
      const failure = await chatTurn(origin, await identityOf(customer), `10.77.${customer >> 8}.${customer & 255}`, QUESTIONS[turn % QUESTIONS.length]!);
      chats += 1;
      if (failure) errors.add(failure);
      else record(chatLatency, sentAt, performance.now() - sentAt);
      await sleep(settings.SOAK_CHAT_PAUSE_MS);
    }
  });

  const sampler = (async () => {
    while (performance.now() < stopAt) {
      const minutes = (performance.now() - startedAt) / 60_000;
      try {
        const [webMemory, workerMemory, [outbox]] = await Promise.all([
          memoryOf(`${origin}/api/metrics`),
          memoryOf(`http://127.0.0.1:${workerMetricsPort}/metrics`),
          db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" <= now()`),
        ]);
        memory.push({ minutes, due: outbox?.n ?? 0, web: webMemory, worker: workerMemory });
      } catch (error) {
        errors.add(`metrics ${(error as Error).message}`);
      }
      if (memory.length % Math.max(1, Math.round(60 / settings.SOAK_SAMPLE_S)) === 0) {
        const last = memory.at(-1);
        const minute = minuteOf(performance.now()) - 1;
        const p95 = latencySummary(webhookLatency.get(minute) ?? []).p95;
        console.log(
          `   ${fmt(minutes, 1)} min: sent ${sent}, chat turns ${chats}, errors ${errors.count}, webhook p95 ${ms(p95)} ms, outbox due ${last?.due ?? "?"}` +
            (last ? `, web RSS ${fmt(last.web.rss / MiB)} MiB heap ${fmt(last.web.heap / MiB)} MiB, worker RSS ${fmt(last.worker.rss / MiB)} MiB heap ${fmt(last.worker.heap / MiB)} MiB` : ""),
        );
      }
      await sleep(settings.SOAK_SAMPLE_S * 1000);
    }
  })();

  await Promise.all([sender, ...chatters, sampler]);
  await pool.close();
  const [due] = await db.sql<{ n: number; oldestS: number | null }>(
    `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM (now() - min("runAt")))::float8 AS "oldestS" FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" <= now()`,
  );
  const [dead] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status = 'dead'`);

  // ---- report ---------------------------------------------------------------------------
  const measured = memory.filter((sample) => sample.minutes >= settings.SOAK_WARMUP_MINUTES);
  const series = (pick: (sample: MemorySample) => number): Point[] => measured.map((sample) => ({ minutes: sample.minutes, value: pick(sample) }));
  const memoryRows = (
    [
      ["web RSS", (sample: MemorySample) => sample.web.rss],
      ["web heap used", (sample: MemorySample) => sample.web.heap],
      ["worker RSS", (sample: MemorySample) => sample.worker.rss],
      ["worker heap used", (sample: MemorySample) => sample.worker.heap],
    ] as const
  ).map(([name, pick]) => {
    const points = series(pick);
    const verdict = flatness(points, FLAT_TOLERANCE);
    return { name, first: points[0]?.value ?? Number.NaN, last: points.at(-1)?.value ?? Number.NaN, verdict };
  });
  const minutes = [...webhookLatency.keys()].sort((a, b) => a - b);
  const p95s = (latencies: Map<number, number[]>) => minutes.map((minute) => latencySummary(latencies.get(minute) ?? []).p95).filter((value) => !Number.isNaN(value));
  const webhookThirds = thirds(p95s(webhookLatency));
  const chatThirds = thirds(p95s(chatLatency));
  const meanOf = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

  console.log("");
  console.log(`| soak (${settings.SOAK_MINUTES} min, ${fmt(rate, 1)} checkouts/s = ${fmt(100 * settings.SOAK_RATE_SHARE)}% of ${fmt(capacity.eventsPerSecond)}/s, ${settings.SOAK_CONVERSATIONS} chatting) | figure |`);
  console.log("|---|---|");
  console.log(`| checkouts sent / chat turns | ${sent} / ${chats} |`);
  console.log(`| errors | ${errors.count}${errors.count ? ` (${errors.describe().slice(0, 400)})` : ""} |`);
  const backlog = series((sample) => sample.due);
  console.log(
    `| outbox due at the end / dead letters | ${due?.n ?? 0} (oldest ${fmt(due?.oldestS ?? 0, 1)} s), growing ${fmt(slopePerMinute(backlog))} jobs/min over the run / ${dead?.n ?? 0} |`,
  );
  for (const row of memoryRows) {
    console.log(
      `| ${row.name} (after ${settings.SOAK_WARMUP_MINUTES} min) | ${fmt(row.first / MiB)} → ${fmt(row.last / MiB)} MiB, slope ${fmt(row.verdict.slopePerHour / MiB, 1)} MiB/h, fitted growth ${fmt(100 * row.verdict.driftShare, 1)}%: ${row.verdict.flat ? "flat" : "GROWING"} |`,
    );
  }
  console.log(`| webhook p95 per minute, mean of first / last third | ${ms(meanOf(webhookThirds.first))} / ${ms(meanOf(webhookThirds.last))} ms |`);
  console.log(`| chat turn p95 per minute, mean of first / last third | ${ms(meanOf(chatThirds.first))} / ${ms(meanOf(chatThirds.last))} ms |`);
  const pass = errors.count === 0 && memoryRows.every((row) => row.verdict.flat);
  // Not a failure of the soak's own criteria, but a figure an operator needs: at this rate one
  // worker on this machine does (or does not) keep up with what the web app takes in.
  const keepsUp = slopePerMinute(backlog) <= rate;
  console.log(`\nsoak: ${pass ? "PASS" : "FAIL"} (no error, every memory series flat); the worker ${keepsUp ? "kept up" : "fell behind"} (backlog growth under one second's checkouts per minute ${keepsUp ? "yes" : "no"})`);
  if (!pass) process.exitCode = 1;
}

main()
  .catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  })
  .finally(cleanUp);
