// Time to first token with a real model's timing (npm run bench:ttft): what the product adds
// to the first token a customer sees, against the AI SDK alone, in the same run.
//
// The model: a streaming OpenAI-compatible fake over real HTTP (test/fakes/openai.ts) that
// answers like a hosted model: the first chunk 300 ms after the request, then 50 tokens/s.
// Each turn is what a real one is: the model first calls getEntitlement (one streamed
// tool-call chunk sequence, with the same timing), the tool runs, and the model's second
// request streams a 50-token answer. So the first text token comes after two model round
// trips (about 2 x 300 ms plus the tool-call's chunks); the product's share is the rest.
//
// 1. The product: `next start` (the production build) on a fresh PostgreSQL database, with
//    OPENAI_* pointing at the fake. A turn is POST /api/chat over HTTP with a signed identity
//    token (each turn a different seeded customer and client address, so the per-customer and
//    per-IP rate limits, which stay as in production, never trigger); its time to first token is
//    from sending the request to reading the first `text-delta` event of the UI message stream.
//    The stream is read to its end (the reply is stored, as in production).
// 2. The baseline: the AI SDK alone in this process: streamText with the same provider
//    (@ai-sdk/openai chat model) against the same fake, and a getEntitlement tool with the same
//    schema answering a record read once before the run. No HTTP in front, no identity, no rate
//    limit, no database, no history. Time to first `text-delta` of fullStream.
// Product and baseline alternate (one turn each, or one round of N concurrent turns each), so
// both see the same machine. The added cost at a percentile is product minus baseline at that
// percentile, at 1 conversation and at 50 concurrent ones. A phase during which other processes
// used more than half a core is not judged against its target (its difference means nothing).
// Where the added time goes (one conversation): the fake notes when each model request arrives,
// so a turn splits into before the first model request (HTTP, identity, limits, the turn's SQL,
// the prompt), between the two requests (the tool call's chunks, the tool, the next step) and
// after the second (its first chunk's way to the reader); each is compared with the baseline's.
// CPU up to the first token: turns answered with a single token, one at a time, with the server's
// CPU time per turn (the product's) and this process's (the AI SDK alone, plus the fake serving
// it). At N concurrent conversations whose first tokens fall together, N x the product's figure
// is CPU work that must be done before the last of them, on at most the machine's cores: the
// floor under the added time at N that no queueing policy removes.
// 3. Memory per open conversation: the server runs with --expose-gc and test/bench/memory-probe.mjs,
//    which on a signal collects garbage and reports process.memoryUsage(); read idle, with N
//    conversations held open mid-answer (the fake streams a long answer), and again once they are
//    closed and their model answers are over. Held minus the mean of the two idle reads, divided by N: the idle heap drifts by
//    megabytes between reads (the in-process rate-limit windows of earlier turns expire, caches
//    settle), and the second idle read shows by how much. RSS is printed too, but the allocator
//    keeps what it once took, so it says little.
//
// Needs a production build (`npm run build`) and PostgreSQL (BENCH_POSTGRES_URL).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createOpenAI } from "@ai-sdk/openai";
import { stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { loadCatalog } from "../../lib/catalog-file";
import type { Database } from "../../lib/db";
import { signIdentityToken } from "../../lib/identity";
import { createWorker } from "../../lib/jobs/worker";
import { normalizeEmail } from "../../lib/lifecycle/events";
import { startCatalogFakes } from "../../lib/sandbox/catalog-fakes";
import { handlersForFakes } from "../../lib/sandbox/handlers";
import { checkoutCompleted, invoiceEvent, newPurchase, stripeLedgerEntry, subscriptionEvent } from "../../lib/sandbox/stripe-events";
import { recordEvents } from "../../lib/webhooks/ledger";
import { createTools } from "../../tools";
import { NO_INPUT } from "../../tools/session";
import { createScriptedOpenAI, type Responder } from "../fakes/openai";
import { cleanUp, cleanups, createBenchDatabase, fmt, machineInfo, ms, quiet } from "./common";
import { latencySummary, type Latency } from "./load";
import { freePort, startCpuMeter, startNode, waitForHttp, type Child, type CpuUse } from "./processes";

const settings = z
  .object({
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    BENCH_CUSTOMERS: z.coerce.number().int().positive().default(300),
    BENCH_FIRST_TOKEN_MS: z.coerce.number().min(0).default(300),
    BENCH_TOKENS_PER_S: z.coerce.number().positive().default(50),
    BENCH_REPLY_TOKENS: z.coerce.number().int().positive().default(50),
    BENCH_WARMUP_TURNS: z.coerce.number().int().min(0).default(10),
    /** Turns measured one at a time (each side). */
    BENCH_SAMPLES: z.coerce.number().int().positive().default(40),
    BENCH_CONCURRENCY: z.coerce.number().int().positive().default(50),
    /** Rounds of BENCH_CONCURRENCY concurrent turns (each side). */
    BENCH_ROUNDS: z.coerce.number().int().positive().default(6),
    /** Conversations held open for the memory figure. */
    BENCH_OPEN_STREAMS: z.coerce.number().int().positive().default(100),
    BENCH_QUIET_WAIT_S: z.coerce.number().min(0).default(20),
    /** Node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/ttft-profile" to see where its time goes. */
    BENCH_SERVER_NODE_ARGS: z
      .string()
      .default("")
      .transform((flags) => flags.split(" ").filter(Boolean)),
  })
  .parse(process.env);

const TARGETS = { single: 15, concurrent: 40 } as const;
/** Other processes' CPU (% of one core) above which a phase's comparison is not judged against its target. */
const BUSY_OTHERS = 50;
const API_KEY = "sk-bench-first-token";
const MODEL = "bench-streaming-model";
const IDENTITY_SECRET = crypto.randomBytes(32).toString("hex");
const signed = (value: number) => `${value < 0 ? "-" : ""}${ms(Math.abs(value))}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the model: a tool round, then an answer of `replyTokens` tokens ----------------------

let replyTokens = settings.BENCH_REPLY_TOKENS;
/** When each model request arrived (its body read), and whether it was a turn's first (no tool result yet). */
const modelRequests: Array<{ at: number; first: boolean }> = [];
const WORDS = ["Your", "membership", "is", "active", "and", "your", "community", "invitation", "was", "sent."];
const answer = (tokens: number) => Array.from({ length: tokens }, (_, index) => WORDS[index % WORDS.length]).join(" ");
const respond: Responder = (body) => {
  const last = (body.messages as Array<{ role: string }>).at(-1);
  modelRequests.push({ at: performance.now(), first: last?.role !== "tool" });
  return last?.role === "tool" ? { text: answer(replyTokens) } : { toolCalls: [{ name: "getEntitlement", arguments: {} }] };
};

// ---- seeding: active customers through the ledger and the real worker --------------------

async function seed(db: Database): Promise<string[]> {
  const catalog = loadCatalog();
  const fakes = await startCatalogFakes(catalog);
  cleanups.push(() => fakes.stop());
  fakes.circle.latencyMs = 0;
  fakes.kit.latencyMs = 0;
  const price = catalog.plans[0]!.stripePriceIds[0]!;
  const now = Math.floor(Date.now() / 1000);
  const emails: string[] = [];
  const events: Array<{ id: string; type: string; created: number }> = [];
  for (let i = 0; i < settings.BENCH_CUSTOMERS; i++) {
    const purchase = newPurchase({ email: `ttft-${i}@example.com`, name: `TTFT Customer ${i}`, priceId: price, at: now - 20 * 86_400, periodEnd: now + 10 * 86_400 });
    events.push(checkoutCompleted(purchase), subscriptionEvent(purchase, "customer.subscription.created"), invoiceEvent(purchase, "invoice.paid"));
    emails.push(normalizeEmail(purchase.email));
  }
  for (let i = 0; i < events.length; i += 200) await recordEvents(db, events.slice(i, i + 200).map(stripeLedgerEntry));
  const worker = createWorker({ db, handlers: handlersForFakes({ db, catalog, circleUrl: fakes.circleUrl, kitUrl: fakes.kitUrl }), concurrency: 8, pollMs: 10, backoff: { baseMs: 20, capMs: 200 } });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if ((await worker.runOnce()) > 0) continue;
    const [pending] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" < now() + interval '10 seconds'`);
    if (!pending || pending.n === 0) break;
    if (Date.now() > deadline) throw new Error(`seeding: ${pending.n} jobs still pending after 120 s`);
    await sleep(20);
  }
  await worker.stop();
  return emails;
}

// ---- one turn through the product, over HTTP ---------------------------------------------

interface Sample {
  /** Request sent to first text-delta read. */
  firstToken: number;
  /** performance.now() when the request was sent (places the turn among the model requests). */
  sentAt: number;
  /** Request sent to response headers (the product's work before the model). */
  headers: number;
}

let customerCursor = 0;
let addressCursor = 0;
const tokens = new Map<string, string>();

async function nextCustomerToken(emails: string[]): Promise<string> {
  const email = emails[customerCursor++ % emails.length]!;
  let token = tokens.get(email);
  if (!token) {
    token = await signIdentityToken(email, IDENTITY_SECRET, { expiresInSeconds: 3_600 });
    tokens.set(email, token);
  }
  return token;
}

/** Reads a UI message stream; resolves at the first text-delta with its time, and keeps reading to the end unless `hold`. */
async function productTurn(origin: string, emails: string[], signal?: AbortSignal): Promise<Sample & { done: Promise<void> }> {
  const token = await nextCustomerToken(emails);
  const address = addressCursor++;
  const body = JSON.stringify({ id: crypto.randomUUID(), messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "I paid but I can't get into the community" }] }] });
  const sentAt = performance.now();
  const response = await fetch(`${origin}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-forwarded-for": `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}` },
    body,
    signal,
  });
  const headers = performance.now() - sentAt;
  if (response.status !== 200 || !response.body) throw new Error(`POST /api/chat answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let firstToken: number | null = null;
  while (firstToken === null) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the chat stream ended without text: ${buffered.slice(0, 300)}`);
    buffered += value;
    if (buffered.includes(`"type":"error"`)) throw new Error(`the chat stream reported an error: ${buffered.slice(0, 300)}`);
    if (buffered.includes(`"type":"text-delta"`)) firstToken = performance.now() - sentAt;
  }
  const done = (async () => {
    for (;;) {
      const { done: finished } = await reader.read();
      if (finished) return;
    }
  })().catch(() => undefined);
  return { firstToken, headers, sentAt, done };
}

/**
 * What any turn of this stack pays before a model can be called, one at a time: a Next route
 * that reads nothing, over HTTP (GET /api/health: the request pipeline, proxy.ts, the response),
 * and one durable commit (an INSERT with fsync on, as the customer's message is stored before
 * the model is called), each sample the two in a row. The AI SDK alone pays neither.
 */
async function stackFloor(origin: string, db: Database): Promise<{ next: Latency; commit: Latency; both: Latency }> {
  await db.sql(`CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
  const next: number[] = [];
  const commit: number[] = [];
  const both: number[] = [];
  for (let i = 0; i < settings.BENCH_SAMPLES; i++) {
    const start = performance.now();
    const response = await fetch(`${origin}/api/health`);
    await response.text();
    if (response.status !== 200) throw new Error(`GET /api/health answered ${response.status}`);
    const routed = performance.now();
    await db.sql(`INSERT INTO bench_floor DEFAULT VALUES`);
    const committed = performance.now();
    next.push(routed - start);
    commit.push(committed - routed);
    both.push(committed - start);
  }
  return { next: latencySummary(next), commit: latencySummary(commit), both: latencySummary(both) };
}

// ---- one turn through the AI SDK alone ---------------------------------------------------

function createBaseline(baseURL: string, view: unknown) {
  const model = createOpenAI({ apiKey: API_KEY, baseURL }).chat(MODEL);
  const tools = {
    getEntitlement: tool({ description: "Look up the signed-in customer's membership right now.", inputSchema: NO_INPUT, execute: async () => view }),
  };
  return async (): Promise<Sample> => {
    const sentAt = performance.now();
    const result = streamText({ model, messages: [{ role: "user", content: "I paid but I can't get into the community" }], tools, stopWhen: stepCountIs(5) });
    let firstToken: number | null = null;
    for await (const part of result.fullStream) {
      if (part.type === "text-delta" && firstToken === null) firstToken = performance.now() - sentAt;
      if (part.type === "error") throw new Error(`baseline stream error: ${String(part.error)}`);
    }
    if (firstToken === null) throw new Error("the baseline stream ended without text");
    return { firstToken, headers: 0, sentAt };
  };
}

// ---- where the time goes -------------------------------------------------------------------

const SPANS = ["before the first model request", "between the two model requests", "after the second model request"] as const;

/** A turn's three spans (ms), from the model requests that arrived while it ran; turns must not overlap. */
function turnSpans(sample: Sample): [number, number, number] {
  const end = sample.sentAt + sample.firstToken;
  const during = modelRequests.filter((request) => request.at >= sample.sentAt && request.at <= end);
  const first = during.find((request) => request.first);
  const second = during.find((request) => !request.first && first !== undefined && request.at > first.at);
  if (!first || !second) throw new Error(`a turn saw ${during.length} model requests, not its two`);
  return [first.at - sample.sentAt, second.at - first.at, end - second.at];
}

// ---- memory ------------------------------------------------------------------------------

type MemoryUsage = Pick<NodeJS.MemoryUsage, "rss" | "heapUsed" | "external" | "arrayBuffers">;

/** The server's memory after two forced collections (test/bench/memory-probe.mjs, loaded into it). */
async function probeMemory(server: Child, file: string): Promise<MemoryUsage> {
  fs.rmSync(file, { force: true });
  process.kill(server.pid, "SIGUSR2");
  // With a hundred streams open the server's event loop is busy: the signal waits its turn.
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the server wrote no memory figures to ${file}\n${server.tail()}`);
    await sleep(50);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as MemoryUsage;
}

// ---- run -----------------------------------------------------------------------------------

interface Figures {
  product: Latency;
  baseline: Latency;
  headers: Latency;
  samples: number;
  samplesOf: { product: Sample[]; baseline: Sample[] };
  /** The server's CPU time per product turn, and the machine's load while measuring. */
  serverCpuMsPerTurn: number;
  cpu: CpuUse;
}

/** Measures a phase: the Next server's CPU over it, and the machine's. */
async function phase(serverPid: number, run: () => Promise<{ product: Sample[]; baseline: Sample[] }>): Promise<Figures> {
  const meter = startCpuMeter(serverPid);
  const startedAt = performance.now();
  const { product, baseline } = await run();
  const cpu = meter.stop();
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    product: latencySummary(product.map((sample) => sample.firstToken)),
    baseline: latencySummary(baseline.map((sample) => sample.firstToken)),
    headers: latencySummary(product.map((sample) => sample.headers)),
    samples: product.length,
    samplesOf: { product, baseline },
    serverCpuMsPerTurn: (((cpu.server ?? 0) / 100) * seconds * 1000) / product.length,
    cpu,
  };
}

async function main() {
  if (!fs.existsSync(".next/BUILD_ID")) throw new Error("no Next build: run `npm run build` first");
  const { url: databaseUrl, db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 4);
  const machine = await machineInfo(db);
  console.log(`first token: ${machine.nproc} cores (${machine.cpuModel}), ${fmt(machine.memoryGiB, 1)} GiB, node ${machine.node}, ${machine.postgres}`);
  const emails = await seed(db);
  const view = await createTools({ identity: emails[0]!, db, catalog: loadCatalog() }).getEntitlement.execute!({}, { toolCallId: "baseline", messages: [] });

  const fake = await createScriptedOpenAI({ apiKey: API_KEY, respond, timing: { firstTokenMs: settings.BENCH_FIRST_TOKEN_MS, tokensPerSecond: settings.BENCH_TOKENS_PER_S } });
  cleanups.push(() => fake.stop());
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const probeFile = path.join(os.tmpdir(), `ttft-memory-${process.pid}.json`);
  cleanups.push(async () => fs.rmSync(probeFile, { force: true }));
  const probe = ["--expose-gc", "--import", "./test/bench/memory-probe.mjs"];
  const next: Child = startNode("next", [...probe, ...settings.BENCH_SERVER_NODE_ARGS, "node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)], {
    DATABASE_URL: databaseUrl,
    // The embedded-store rate limits (in process): production's limits, without a Redis to run.
    APP_MODE: "demo",
    RUN_WORKER: "0",
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    CHAT_IDENTITY_SECRET: IDENTITY_SECRET,
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: fake.url,
    OPENAI_MODEL: MODEL,
    BENCH_MEMORY_PROBE_FILE: probeFile,
  });
  cleanups.push(() => next.stop());
  await waitForHttp(`${origin}/api/health`, next, 60_000);
  const baseline = createBaseline(fake.url, view);
  console.log(
    `model: first chunk after ${settings.BENCH_FIRST_TOKEN_MS} ms, ${settings.BENCH_TOKENS_PER_S} tokens/s; a turn = getEntitlement call + ${settings.BENCH_REPLY_TOKENS}-token answer`,
  );

  for (let i = 0; i < settings.BENCH_WARMUP_TURNS; i++) {
    await (await productTurn(origin, emails)).done;
    await baseline();
  }

  await quiet(settings.BENCH_QUIET_WAIT_S);
  const one = await phase(next.pid, async () => {
    const single = { product: [] as Sample[], baseline: [] as Sample[] };
    for (let i = 0; i < settings.BENCH_SAMPLES; i++) {
      const turn = await productTurn(origin, emails);
      await turn.done;
      single.product.push(turn);
      single.baseline.push(await baseline());
    }
    return single;
  });

  const floor = await stackFloor(origin, db);

  await quiet(settings.BENCH_QUIET_WAIT_S);
  const many = await phase(next.pid, async () => {
    const concurrent = { product: [] as Sample[], baseline: [] as Sample[] };
    for (let round = 0; round < settings.BENCH_ROUNDS; round++) {
      const turns = await Promise.all(Array.from({ length: settings.BENCH_CONCURRENCY }, () => productTurn(origin, emails)));
      await Promise.all(turns.map((turn) => turn.done));
      concurrent.product.push(...turns);
      concurrent.baseline.push(...(await Promise.all(Array.from({ length: settings.BENCH_CONCURRENCY }, () => baseline()))));
    }
    return concurrent;
  });

  // CPU up to the first token: one-token answers, one turn at a time.
  replyTokens = 1;
  let baselineCpuMicros = 0;
  const upToFirstToken = await phase(next.pid, async () => {
    const turns = { product: [] as Sample[], baseline: [] as Sample[] };
    for (let i = 0; i < settings.BENCH_SAMPLES; i++) {
      const turn = await productTurn(origin, emails);
      await turn.done;
      turns.product.push(turn);
      const before = process.cpuUsage();
      turns.baseline.push(await baseline());
      const used = process.cpuUsage(before);
      baselineCpuMicros += used.user + used.system;
    }
    return turns;
  });
  replyTokens = settings.BENCH_REPLY_TOKENS;

  // Memory: idle, then BENCH_OPEN_STREAMS conversations held open mid-answer.
  await sleep(2_000);
  const idle = await probeMemory(next, probeFile);
  replyTokens = Math.ceil(settings.BENCH_TOKENS_PER_S * 30);
  const abort = new AbortController();
  const open = await Promise.all(Array.from({ length: settings.BENCH_OPEN_STREAMS }, () => productTurn(origin, emails, abort.signal)));
  await sleep(1_000);
  const held = await probeMemory(next, probeFile);
  abort.abort();
  await Promise.all(open.map((turn) => turn.done));
  // A held answer's state can outlive its customer's disconnect (a 2 s wait read 40 MiB still
  // referenced): the second idle read waits until the fake has finished streaming every held answer.
  await sleep((replyTokens / settings.BENCH_TOKENS_PER_S) * 1000 + 5_000);
  replyTokens = settings.BENCH_REPLY_TOKENS;
  const released = await probeMemory(next, probeFile);

  const added = (figures: Figures, key: "p50" | "p95") => figures.product[key] - figures.baseline[key];
  console.log("");
  console.log(
    "| Conversations | Turns | AI SDK alone p50 / p95 | Product (POST /api/chat over HTTP) p50 / p95 | Added p50 | Added p95 | Target (p95) | Met | Headers p50 / p95 | Server CPU per turn | Machine busy (other processes) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const [label, figures, target] of [
    ["1", one, TARGETS.single],
    [String(settings.BENCH_CONCURRENCY), many, TARGETS.concurrent],
  ] as const) {
    const p95 = added(figures, "p95");
    const met =
      figures.cpu.other > BUSY_OTHERS
        ? `not judged: other processes used ${fmt(figures.cpu.other)}% CPU`
        : p95 <= target
          ? "yes"
          : `no (by ${ms(p95 - target)} ms)`;
    console.log(
      `| ${label} | ${figures.samples} | ${ms(figures.baseline.p50)} / ${ms(figures.baseline.p95)} ms | ${ms(figures.product.p50)} / ${ms(figures.product.p95)} ms | ${signed(added(figures, "p50"))} ms | ${signed(p95)} ms | <= ${target} ms | ${met} | ${ms(figures.headers.p50)} / ${ms(figures.headers.p95)} ms | ${ms(figures.serverCpuMsPerTurn)} ms | ${fmt(figures.cpu.machine)}% of ${machine.nproc * 100}% (${fmt(figures.cpu.other)}%) |`,
    );
  }

  console.log("");
  console.log("Where the added time goes at 1 conversation (p50 / p95 of each span, ms):");
  console.log("");
  console.log("| Span | AI SDK alone | Product | Added p50 |");
  console.log("|---|---|---|---|");
  const spans = (samples: Sample[]) => SPANS.map((_, index) => latencySummary(samples.map((sample) => turnSpans(sample)[index]!)));
  const [productSpans, baselineSpans] = [spans(one.samplesOf.product), spans(one.samplesOf.baseline)];
  SPANS.forEach((name, index) => {
    const [product, baseline] = [productSpans[index]!, baselineSpans[index]!];
    console.log(`| ${name} | ${ms(baseline.p50)} / ${ms(baseline.p95)} | ${ms(product.p50)} / ${ms(product.p95)} | ${signed(product.p50 - baseline.p50)} |`);
  });

  console.log("");
  console.log(
    `The stack's floor at 1 conversation (${settings.BENCH_SAMPLES} samples, one at a time; the product pays both before its first model request, the AI SDK alone neither): ` +
      `a Next route that reads nothing, over HTTP, ${ms(floor.next.p50)} / ${ms(floor.next.p95)} ms (p50 / p95); one durable commit ${ms(floor.commit.p50)} / ${ms(floor.commit.p95)} ms; ` +
      `both in a row ${ms(floor.both.p50)} / ${ms(floor.both.p95)} ms, against the ${TARGETS.single} ms target for everything the product adds`,
  );

  const floorMs = (settings.BENCH_CONCURRENCY * upToFirstToken.serverCpuMsPerTurn) / machine.nproc;
  console.log("");
  console.log(
    `CPU up to the first token (one-token answers, ${upToFirstToken.samples} turns one at a time): product server ${ms(upToFirstToken.serverCpuMsPerTurn)} ms per turn; ` +
      `AI SDK alone ${ms(baselineCpuMicros / 1000 / upToFirstToken.samples)} ms per turn (this process: the SDK and the fake model serving it). ` +
      `${settings.BENCH_CONCURRENCY} conversations whose first tokens fall together: ${settings.BENCH_CONCURRENCY} x ${ms(upToFirstToken.serverCpuMsPerTurn)} ms / ${machine.nproc} cores = ${ms(floorMs)} ms of server CPU before the last first token, if the server had every core to itself`,
  );

  const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);
  const memory = (key: keyof MemoryUsage) =>
    `${key} ${fmt((held[key] - (idle[key] + released[key]) / 2) / settings.BENCH_OPEN_STREAMS / 1024, 1)} KiB (${mib(idle[key])} -> ${mib(held[key])} -> ${mib(released[key])} MiB)`;
  console.log("");
  console.log(
    `memory per open conversation (${settings.BENCH_OPEN_STREAMS} held open mid-answer; idle -> held -> closed, read after forced collections): ${(["heapUsed", "external", "arrayBuffers", "rss"] as const).map(memory).join(", ")}`,
  );
  console.log(`model requests served by the fake: ${fake.requests().length}; load average at the end: ${os.loadavg().map((load) => fmt(load, 1)).join(" ")}`);
}

try {
  await main();
} finally {
  await cleanUp();
}
