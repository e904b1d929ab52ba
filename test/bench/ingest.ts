// The ingest benchmark (npm run bench:ingest; BENCHMARKS.md has the method and the figures).
// One run: a fresh PostgreSQL database; `next start` and the lean ingest server as child
// processes; closed-loop signed Stripe events at each concurrency against the bare Next route
// (the framework's ceiling), our Next webhook route and the ingest server; payment-to-access
// through a worker process against fake Circle and Kit; a pgbench baseline; a markdown report.
// The Next route's share of the bare route is also measured in interleaved rounds (bare, route,
// bare, route, ...), so that drift of this shared VM between cells does not decide the ratio.
//
// On a shared machine each measurement first waits (up to BENCH_QUIET_WAIT_S) for the cores to
// go idle, and every cell reports the CPU other processes took meanwhile.
//
// Durations and sizes come from the environment, e.g. a quick run:
//   BENCH_WARMUP_S=1 BENCH_MEASURE_S=2 BENCH_PURCHASES=40 BENCH_PGBENCH_S=2 npx tsx test/bench/ingest.ts
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { cleanUp, cleanups, createBenchDatabase, fmt, machineInfo, ms, quiet, QUIET_THRESHOLD } from "./common";
import type { Database } from "../../lib/db";
import { checkoutCompleted, newPurchase } from "../../lib/sandbox/stripe-events";
import { accessRun, accessRunSettings, accessSettings, type AccessResult } from "./access";
import { closedLoop, type ClosedLoopResult } from "./load";
import { pgbench, writePgbenchScript, type PgbenchResult } from "./pgbench";
import { freePort, startCpuMeter, startNode, waitForHttp, waitForQuiet, type Child, type CpuUse } from "./processes";

const settings = z
  .object({
    BENCH_WARMUP_S: z.coerce.number().min(0).default(2),
    BENCH_MEASURE_S: z.coerce.number().positive().default(8),
    BENCH_SENDERS: z
      .string()
      .default("1,8,32")
      .transform((list) => list.split(",").map(Number))
      .pipe(z.array(z.number().int().positive()).min(1)),
    ...accessSettings,
    BENCH_PGBENCH_S: z.coerce.number().int().positive().default(10),
    /** Interleaved bare/Next-route rounds per concurrency, and each cell's measured seconds (after 0.5 s warm-up). */
    BENCH_PAIR_ROUNDS: z.coerce.number().int().min(0).default(5),
    BENCH_PAIR_MEASURE_S: z.coerce.number().positive().default(3),
    /** Before each cell, wait up to this long for other processes to leave the cores idle (0: don't). */
    BENCH_QUIET_WAIT_S: z.coerce.number().min(0).default(60),
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
  })
  .parse(process.env);


/** Reference points measured on this kind of machine (2 cores), per concurrency. */
const REFERENCE = {
  bareNext: { 1: { eps: 750, p95: 2 }, 8: { eps: 810, p95: 18 }, 32: { eps: 960, p95: 48 } },
  syncEngine: { 1: { eps: 816, p95: 1.5 }, 8: { eps: 1_688, p95: 7.9 }, 32: { eps: 1_850, p95: 25.8 } },
  pgbench: { 1: 1_840, 8: 2_210, 32: 3_240 },
} as const;
const referenceAt = <T>(table: Record<number, T>, n: number): T | undefined => table[n];

const TARGETS = [
  { key: "bare", label: "Next bare route", path: "/api/bench/bare", server: "next", ledger: false },
  { key: "next", label: "Next webhook route", path: "/api/webhooks/stripe", server: "next", ledger: true },
  { key: "ingest", label: "Lean ingest server", path: "/api/webhooks/stripe", server: "ingest", ledger: true },
  // Diagnostic: the same server with the ledger insert stubbed out; the gap is the database's share.
  { key: "nodb", label: "Ingest, no DB (diag.)", path: "/api/webhooks/stripe", server: "nodb", ledger: false },
] as const;
type TargetKey = (typeof TARGETS)[number]["key"];
type ServerKey = (typeof TARGETS)[number]["server"];

interface Cell {
  target: TargetKey;
  senders: number;
  result: ClosedLoopResult;
  cpu: CpuUse;
}

// ---- cleanup: children, temp files, the database; on success, failure or Ctrl-C --------



const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** CPU milliseconds per operation, from % of one core and operations a second. */
const cpuMs = (percent: number, perSecond: number) => (10 * percent) / perSecond;


function start(name: string, args: string[], env: Record<string, string>): Child {
  const child = startNode(name, args, env);
  cleanups.push(() => child.stop());
  return child;
}


async function throughput(servers: Record<ServerKey, { origin: string; child: Child }>, secret: string): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const senders of settings.BENCH_SENDERS) {
    for (const target of TARGETS) {
      await quiet(settings.BENCH_QUIET_WAIT_S);
      const warmupMs = settings.BENCH_WARMUP_S * 1000;
      // CPU is measured over the measured window only.
      const { origin, child } = servers[target.server];
      const meter = sleep(warmupMs).then(() => startCpuMeter(child.pid));
      const result = await closedLoop({ origin, path: target.path, senders, warmupMs, measureMs: settings.BENCH_MEASURE_S * 1000, secret });
      const cpu = (await meter).stop();
      cells.push({ target: target.key, senders, result, cpu });
      const { latency, errors } = result;
      console.log(
        `  ${target.label.padEnd(22)} ${String(senders).padStart(2)} senders: ${fmt(result.eventsPerSecond).padStart(6)} events/s, ` +
          `ack p50 ${ms(latency.p50)} / p95 ${ms(latency.p95)} / p99 ${ms(latency.p99)} ms, errors ${errors.count}` +
          `${errors.count ? ` (${errors.describe()})` : ""}; CPU machine ${fmt(cpu.machine)}%: client ${fmt(cpu.client)}%, server ${fmt(cpu.server ?? 0)}%, ` +
          `postgres ${fmt(cpu.postgres)}%, other ${fmt(cpu.other)}%; steal ${fmt(cpu.steal)}%`,
      );
    }
  }
  return cells;
}

interface PairRound {
  senders: number;
  bare: Cell;
  next: Cell;
}

/**
 * The bare route and the Next webhook route alternately, BENCH_PAIR_ROUNDS times per
 * concurrency, on the warm Next server: each round's ratio compares two cells measured seconds
 * apart, and the median over rounds is robust to a round the VM slowed down.
 */
async function interleavedRounds(next: { origin: string; child: Child }, secret: string): Promise<PairRound[]> {
  const rounds: PairRound[] = [];
  const measure = async (target: "bare" | "next", senders: number): Promise<Cell> => {
    const warmupMs = 500;
    const meter = sleep(warmupMs).then(() => startCpuMeter(next.child.pid));
    const path = TARGETS.find((t) => t.key === target)!.path;
    const result = await closedLoop({ origin: next.origin, path, senders, warmupMs, measureMs: settings.BENCH_PAIR_MEASURE_S * 1000, secret });
    return { target, senders, result, cpu: (await meter).stop() };
  };
  for (const senders of settings.BENCH_SENDERS) {
    await quiet(settings.BENCH_QUIET_WAIT_S);
    for (let round = 0; round < settings.BENCH_PAIR_ROUNDS; round++) {
      const bare = await measure("bare", senders);
      const route = await measure("next", senders);
      rounds.push({ senders, bare, next: route });
      console.log(
        `  ${String(senders).padStart(2)} senders, round ${round + 1}: bare ${fmt(bare.result.eventsPerSecond)}/s, route ${fmt(route.result.eventsPerSecond)}/s ` +
          `(${fmt((100 * route.result.eventsPerSecond) / bare.result.eventsPerSecond)}%); errors ${bare.result.errors.count + route.result.errors.count}; ` +
          `steal ${fmt(Math.max(bare.cpu.steal, route.cpu.steal))}%, other ${fmt(Math.max(bare.cpu.other, route.cpu.other))}%`,
      );
    }
  }
  return rounds;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Each round's route / bare throughput at one concurrency. */
const pairRatios = (rounds: PairRound[], senders: number) =>
  rounds.filter((round) => round.senders === senders).map((round) => round.next.result.eventsPerSecond / round.bare.result.eventsPerSecond);

/**
 * At one sender a request's time is the bare route's plus whatever the route adds. The least a
 * durable ack adds is what the ledger statement adds in the lean ingest server (its time per
 * request with the database minus without): the share of bare a route could keep at best.
 */
function oneSenderCeiling(bare: Cell | undefined, ingest: Cell | undefined, nodb: Cell | undefined): number | null {
  if (!bare || !ingest || !nodb) return null;
  const bareMs = 1000 / bare.result.eventsPerSecond;
  const ledgerMs = 1000 / ingest.result.eventsPerSecond - 1000 / nodb.result.eventsPerSecond;
  return bareMs / (bareMs + Math.max(0, ledgerMs));
}

/** Every 2xx on a webhook route must be one ledger row and one job: nothing acknowledged is lost. */
async function checkLedger(db: Database, cells: Cell[]): Promise<string> {
  const acked = cells.filter((cell) => TARGETS.find((target) => target.key === cell.target)?.ledger).reduce((sum, cell) => sum + cell.result.acked, 0);
  const [counts] = await db.sql<{ events: number; jobs: number }>(
    `SELECT (SELECT count(*)::int FROM "WebhookEvent") AS events, (SELECT count(*)::int FROM "Job") AS jobs`,
  );
  const line = `${fmt(acked)} acknowledged webhook deliveries, ${fmt(counts?.events ?? 0)} ledger rows, ${fmt(counts?.jobs ?? 0)} jobs`;
  if (counts?.events !== acked || counts.jobs !== acked) throw new Error(`ledger mismatch: ${line}`);
  return line;
}

// ---- the report -------------------------------------------------------------------------

function report(
  machine: Awaited<ReturnType<typeof machineInfo>>,
  background: CpuUse,
  cells: Cell[],
  ledgerLine: string,
  rounds: PairRound[],
  access: { result: AccessResult; jobSummary: string; cpuLine: string },
  pgbenchRuns: Array<PgbenchResult & { cpu: CpuUse }>,
): string {
  const cell = (target: TargetKey, senders: number) => cells.find((c) => c.target === target && c.senders === senders);
  const label = (key: TargetKey) => TARGETS.find((target) => target.key === key)?.label ?? key;
  const lines: string[] = [];
  const table = (head: string[], rows: string[][]) => {
    lines.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`), "");
  };

  lines.push(
    "## Machine",
    "",
    `- ${machine.nproc} cores: ${machine.cpuModel}; ${fmt(machine.memoryGiB, 1)} GiB memory; ${machine.kernel}`,
    `- Node ${machine.node}; ${machine.postgres}`,
    `- Load generator, servers, worker and PostgreSQL all share these ${machine.nproc} cores. Background CPU before the run: ${fmt(background.machine)}% busy, ${fmt(background.steal)}% stolen by the hypervisor.`,
    `- Cells: ${settings.BENCH_WARMUP_S} s warm-up (discarded) + ${settings.BENCH_MEASURE_S} s measured; CPU in % of one core (ceiling ${machine.nproc * 100}%): machine = all processes, split into client (this load generator), server (the target's process tree), postgres and other; steal = taken by the hypervisor. Each measurement first waited up to ${settings.BENCH_QUIET_WAIT_S} s for the machine to go idle (< ${QUIET_THRESHOLD}%).`,
    "",
    "## Ingest throughput (closed loop, distinct signed events, keep-alive)",
    "",
  );
  table(
    ["Target", "Senders", "Events/s", "Ack p50 ms", "p95 ms", "p99 ms", "Errors", "CPU machine", "client", "server", "postgres", "other", "steal", "CPU ms/event: server", "postgres"],
    cells.map(({ target, senders, result, cpu }) => [
      label(target),
      String(senders),
      fmt(result.eventsPerSecond),
      ms(result.latency.p50),
      ms(result.latency.p95),
      ms(result.latency.p99),
      String(result.errors.count),
      `${fmt(cpu.machine)}%`,
      `${fmt(cpu.client)}%`,
      `${fmt(cpu.server ?? 0)}%`,
      `${fmt(cpu.postgres)}%`,
      `${fmt(cpu.other)}%`,
      `${fmt(cpu.steal)}%`,
      fmt(cpuMs(cpu.server ?? 0, result.eventsPerSecond), 2),
      fmt(cpuMs(cpu.postgres, result.eventsPerSecond), 2),
    ]),
  );
  lines.push(`Ledger check: ${ledgerLine}.`, "");

  if (rounds.length > 0) {
    lines.push(
      `## Next route against the bare route, interleaved (${settings.BENCH_PAIR_ROUNDS} rounds per concurrency; 0.5 s warm-up + ${settings.BENCH_PAIR_MEASURE_S} s per cell)`,
      "",
    );
    table(
      ["Senders", "Bare events/s (median)", "Route events/s (median)", "Route / bare: median", "min", "max", "Next CPU ms/event: bare", "route"],
      settings.BENCH_SENDERS.map((senders) => {
        const at = rounds.filter((round) => round.senders === senders);
        const ratios = pairRatios(rounds, senders);
        const cpu = (pick: (round: PairRound) => Cell) => median(at.map((round) => cpuMs(pick(round).cpu.server ?? 0, pick(round).result.eventsPerSecond)));
        return [
          String(senders),
          fmt(median(at.map((round) => round.bare.result.eventsPerSecond))),
          fmt(median(at.map((round) => round.next.result.eventsPerSecond))),
          `${fmt(100 * median(ratios))}%`,
          `${fmt(100 * Math.min(...ratios))}%`,
          `${fmt(100 * Math.max(...ratios))}%`,
          fmt(cpu((round) => round.bare), 2),
          fmt(cpu((round) => round.next), 2),
        ];
      }),
    );
  }

  lines.push("## Payment to access", "");
  const a = access.result;
  table(
    ["Purchases", "Rate", "Worker concurrency", "Circle latency", "Granted", "p50 ms", "p95 ms", "max ms", "Ack errors"],
    [[String(a.sent), `${settings.BENCH_PURCHASE_RATE}/s`, String(settings.BENCH_WORKER_CONCURRENCY), `${settings.BENCH_CIRCLE_LATENCY_MS} ms`, `${a.granted}/${a.sent}`, ms(a.latency.p50), ms(a.latency.p95), ms(a.latency.max), String(a.errors.count)]],
  );
  lines.push(`Jobs at the end: ${access.jobSummary}.`, "", `CPU during the run: ${access.cpuLine}.`, "");

  lines.push("## pgbench: durable ledger + job insert pair per transaction", "");
  table(
    ["Clients", "TPS", "Latency avg ms", "CPU machine", "postgres", "PostgreSQL CPU ms/tx", "steal", "Reference TPS"],
    pgbenchRuns.map((run) => [
      String(run.clients),
      fmt(run.tps),
      ms(run.latencyMs),
      `${fmt(run.cpu.machine)}%`,
      `${fmt(run.cpu.postgres)}%`,
      fmt(cpuMs(run.cpu.postgres, run.tps), 2),
      `${fmt(run.cpu.steal)}%`,
      fmt(referenceAt(REFERENCE.pgbench, run.clients) ?? Number.NaN),
    ]),
  );

  lines.push("## Against the reference points and targets", "");
  const checks: string[][] = [];
  for (const senders of settings.BENCH_SENDERS) {
    const bare = cell("bare", senders);
    const next = cell("next", senders);
    const ingest = cell("ingest", senders);
    const peer = referenceAt(REFERENCE.syncEngine, senders);
    const bareRef = referenceAt(REFERENCE.bareNext, senders);
    if (bare && bareRef) {
      checks.push([`Bare Next route, ${senders} senders (reference ${fmt(bareRef.eps)}/s, p95 ${bareRef.p95} ms)`, "(reference only)", `${fmt(bare.result.eventsPerSecond)}/s, p95 ${ms(bare.result.latency.p95)} ms`, "-"]);
    }
    if (ingest && peer) {
      const met = ingest.result.eventsPerSecond > peer.eps;
      checks.push([`Ingest server beats Stripe Sync Engine, ${senders} senders`, `> ${fmt(peer.eps)}/s`, `${fmt(ingest.result.eventsPerSecond)}/s, p95 ${ms(ingest.result.latency.p95)} ms`, met ? "yes" : "no"]);
    }
    if (bare && next) {
      const ratio = next.result.eventsPerSecond / bare.result.eventsPerSecond;
      checks.push([`Next route keeps >= 85% of bare, ${senders} senders`, ">= 85%", `${fmt(100 * ratio)}% (${fmt(next.result.eventsPerSecond)} vs ${fmt(bare.result.eventsPerSecond)}/s)`, ratio >= 0.85 ? "yes" : "no"]);
    }
    const paired = pairRatios(rounds, senders);
    if (paired.length > 0) {
      const ratio = median(paired);
      checks.push([`Next route keeps >= 85% of bare, ${senders} senders, interleaved (median of ${paired.length})`, ">= 85%", `${fmt(100 * ratio)}%`, ratio >= 0.85 ? "yes" : "no"]);
    }
  }
  const ceiling = oneSenderCeiling(cell("bare", 1), cell("ingest", 1), cell("nodb", 1));
  if (ceiling !== null) {
    checks.push(["At 1 sender: the most a route with a durable ack can keep of bare (bare's time per request plus the ledger's share in the lean server)", "(bound)", `${fmt(100 * ceiling)}%`, "-"]);
  }
  const top = cell("ingest", 32);
  if (top) {
    const met = top.result.eventsPerSecond >= 1_900 && top.result.latency.p95 <= 20;
    checks.push(["Ingest server at 32 senders", ">= 1,900/s, p95 <= 20 ms", `${fmt(top.result.eventsPerSecond)}/s, p95 ${ms(top.result.latency.p95)} ms`, met ? "yes" : "no"]);
  }
  const allGranted = a.granted === a.sent;
  checks.push(["Payment to access p95", "<= 1,000 ms, all granted", `${ms(a.latency.p95)} ms, ${a.granted}/${a.sent} granted`, allGranted && a.latency.p95 <= 1_000 ? "yes" : "no"]);
  table(["Check", "Target", "Measured", "Met"], checks);
  return lines.join("\n");
}

// ---- main -------------------------------------------------------------------------------

async function main() {
  if (!fs.existsSync(".next/BUILD_ID")) throw new Error("no Next build: run `npm run build` first (npm run bench:ingest does)");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-bench-"));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));

  console.log("1. database");
  const { url: databaseUrl, db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 2);
  const machine = await machineInfo(db);
  const background = await waitForQuiet(QUIET_THRESHOLD, settings.BENCH_QUIET_WAIT_S * 1000);
  const busy = background.machine + background.steal >= QUIET_THRESHOLD;
  console.log(
    `  background CPU before the run: ${fmt(background.machine)}% busy, ${fmt(background.steal)}% stolen, of ${machine.nproc * 100}%` +
      `${busy ? " (the machine is not idle: figures will be low)" : ""}`,
  );

  console.log("2. servers");
  const secret = `whsec_bench_${crypto.randomBytes(16).toString("hex")}`;
  const common = { DATABASE_URL: databaseUrl, STRIPE_WEBHOOK_SECRET: secret, APP_MODE: "demo", LOG_LEVEL: "warn", RUN_WORKER: "0", NEXT_TELEMETRY_DISABLED: "1" };
  const node = async (name: string, args: string[], env: Record<string, string>, ready: string) => {
    const port = await freePort();
    const child = start(name, args, { ...common, ...env, PORT: String(port), INGEST_PORT: String(port) });
    const origin = `http://127.0.0.1:${port}`;
    await waitForHttp(`${origin}${ready}`, child, 60_000);
    return { origin, child };
  };
  const servers = {
    next: await node("next", ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1"], { BENCH_ROUTES: "1" }, "/api/health?ready=1"),
    ingest: await node("ingest", ["--import", "tsx", "scripts/ingest.ts"], {}, "/api/health"),
    nodb: await node("ingest-nodb", ["--import", "tsx", "test/bench/ingest-nodb.ts"], {}, "/api/health"),
  };

  console.log(`3. throughput: ${settings.BENCH_SENDERS.join("/")} senders, ${settings.BENCH_WARMUP_S} s warm-up + ${settings.BENCH_MEASURE_S} s per cell`);
  const cells = await throughput(servers, secret);
  console.log(`3b. Next route against the bare route, interleaved: ${settings.BENCH_PAIR_ROUNDS} rounds per concurrency`);
  const rounds = await interleavedRounds(servers.next, secret);
  const ledgerLine = await checkLedger(db, [...cells, ...rounds.map((round) => round.next)]);
  console.log(`  ${ledgerLine}`);
  await Promise.all([servers.next.child.stop(), servers.nodb.child.stop()]);

  console.log(`4. payment to access: ${settings.BENCH_PURCHASES} purchases at ${settings.BENCH_PURCHASE_RATE}/s through the ingest server`);
  const access = await accessRun({
    db,
    databaseUrl,
    ingestOrigin: servers.ingest.origin,
    secret,
    tmp,
    start,
    ...accessRunSettings(settings),
    quietWaitS: settings.BENCH_QUIET_WAIT_S,
  });
  await servers.ingest.child.stop();

  console.log(`5. pgbench: ${settings.BENCH_SENDERS.join("/")} clients, ${settings.BENCH_PGBENCH_S} s each`);
  const script = writePgbenchScript(tmp, JSON.stringify(checkoutCompleted(newPurchase())));
  const pgbenchRuns: Array<PgbenchResult & { cpu: CpuUse }> = [];
  for (const clients of settings.BENCH_SENDERS) {
    await quiet(settings.BENCH_QUIET_WAIT_S);
    const meter = startCpuMeter(null);
    const run = { ...(await pgbench(databaseUrl, script, clients, settings.BENCH_PGBENCH_S)), cpu: meter.stop() };
    pgbenchRuns.push(run);
    console.log(
      `  ${String(clients).padStart(2)} clients: ${fmt(run.tps)} tps, latency avg ${ms(run.latencyMs)} ms; ` +
        `CPU machine ${fmt(run.cpu.machine)}%: postgres ${fmt(run.cpu.postgres)}% (${fmt(cpuMs(run.cpu.postgres, run.tps), 2)} ms a transaction); steal ${fmt(run.cpu.steal)}%`,
    );
  }

  console.log(`\n${report(machine, background, cells, ledgerLine, rounds, access, pgbenchRuns)}`);
}

try {
  await main();
} catch (error) {
  console.error(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
