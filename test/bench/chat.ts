// The chat benchmark (npm run bench:chat): server time of a chat turn with the offline model,
// and the getEntitlement tool on its own, on a fresh PostgreSQL database.
//
// Setup goes through the real path: each seeded customer's Stripe events are recorded in the
// ledger (recordEvents, as the webhook route does) and the real worker applies them against
// fake Circle and Kit (latency 0) until the queue is empty.
//
// 1. Chat turns: in process, no HTTP. A turn's time runs from calling post(request) until the
//    response stream is fully read (the reply is stored in the stream's onFinish, so that is
//    included). Each turn is "I paid but can't log in": the offline model calls getEntitlement,
//    then answers from its result (two model steps). Every turn starts a new conversation id,
//    so the history the handler reads and converts is the same size on every turn. Closed
//    loop: N conversations, each bound to a different seeded customer, each sending its next
//    turn as soon as the previous one is read; warm-up discarded, then a timed window.
// 2. Paced chat turns: the same turn time, with conversations at human pace instead of back to
//    back: each conversation waits a think time between reading a reply and sending its next
//    message, and keeps its conversation id for several turns, so the history it reads grows.
// 3. The AI SDK's floor: the same streamText call, model and tools, with getEntitlement
//    answering a record read once before the run: no identity check, no rate limit, no
//    database, no history. What a two-step turn costs before any of the product's own work.
// 4. The getEntitlement tool: execute() for random seeded customers, sequentially.
//
// Durations and sizes come from the environment, e.g. a quick run:
//   BENCH_WARMUP_S=1 BENCH_MEASURE_S=2 BENCH_PACED_MEASURE_S=5 BENCH_CUSTOMERS=40 BENCH_TOOL_CALLS=200 npx tsx test/bench/chat.ts
import crypto from "node:crypto";
import type { UIMessage } from "ai";
import { z } from "zod";
import { cleanUp, cleanups, createBenchDatabase, fmt, machineInfo, ms, quiet, QUIET_THRESHOLD } from "./common";
import { createChatHandlers, streamReply } from "../../lib/chat/handler";
import { createOfflineModel } from "../../lib/chat/offline-model";
import type { Database } from "../../lib/db";
import { signIdentityToken } from "../../lib/identity";
import { createWorker } from "../../lib/jobs/worker";
import { parseCatalog, type PlanCatalog } from "../../lib/lifecycle/catalog";
import { normalizeEmail } from "../../lib/lifecycle/events";
import { createChatRateLimiter } from "../../lib/ratelimit";
import { recordEvents } from "../../lib/webhooks/ledger";
import { createTools } from "../../tools";
import { createFakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit } from "../../lib/sandbox/kit";
import { handlersForFakes } from "../../lib/sandbox/handlers";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase, stripeLedgerEntry, subscriptionEvent, type Purchase } from "../../lib/sandbox/stripe-events";
import { seededRandom } from "../chaos/model";
import { ErrorTally, latencySummary, type Latency } from "./load";
import { startCpuMeter, waitForQuiet, type CpuUse } from "./processes";

const settings = z
  .object({
    BENCH_WARMUP_S: z.coerce.number().min(0).default(2),
    BENCH_MEASURE_S: z.coerce.number().positive().default(8),
    BENCH_CONVERSATIONS: z
      .string()
      .default("1,20")
      .transform((list) => list.split(",").map(Number))
      .pipe(z.array(z.number().int().positive()).min(1)),
    BENCH_CUSTOMERS: z.coerce.number().int().positive().default(200),
    BENCH_TOOL_WARMUP: z.coerce.number().int().min(0).default(200),
    BENCH_TOOL_CALLS: z.coerce.number().int().positive().default(2_000),
    /** The handler's database pool (the product's default is 10). */
    BENCH_POOL_SIZE: z.coerce.number().int().positive().default(10),
    BENCH_SEED: z.coerce.number().int().default(1),
    BENCH_MESSAGE: z.string().min(1).default("I paid but can't log in"),
    /** Paced mode: conversations, their think time between a reply and the next message (+-50%), turns per conversation id, timed window. */
    BENCH_PACED_CONVERSATIONS: z.coerce.number().int().min(0).default(20),
    BENCH_THINK_MS: z.coerce.number().min(0).default(2_000),
    BENCH_PACED_TURNS: z.coerce.number().int().positive().default(5),
    BENCH_PACED_MEASURE_S: z.coerce.number().positive().default(40),
    /** Before each measurement, wait up to this long for other processes to leave the cores idle (0: don't). */
    BENCH_QUIET_WAIT_S: z.coerce.number().min(0).default(30),
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
  })
  .parse(process.env);

/** % of one core under which the machine counts as idle. */
const TARGETS = { turnP95Ms: 50, toolP95Ms: 5 } as const;
const IDENTITY_SECRET = crypto.randomBytes(32).toString("hex");

// ---- cleanup: fakes, the database; on success, failure or Ctrl-C -----------------------




// ---- seeding: customers in mixed lifecycle states, through the ledger and the worker ----

const DAY = 86_400;
const STATES = ["active", "new", "refunded", "past_due", "canceling", "masterclass"] as const;
type SeedState = (typeof STATES)[number];

function customerEvents(state: SeedState, index: number, now: number): Array<{ id: string; type: string; created: number }> {
  const p = (overrides: Partial<Purchase>) => newPurchase({ email: `bench-${index}@example.com`, name: `Bench Customer ${index}`, ...overrides });
  switch (state) {
    case "active": {
      const purchase = p({ at: now - 20 * DAY, periodEnd: now + 10 * DAY });
      return [checkoutCompleted(purchase), subscriptionEvent(purchase, "customer.subscription.created"), invoiceEvent(purchase, "invoice.paid")];
    }
    case "new": {
      const purchase = p({ at: now - 60, periodEnd: now + 30 * DAY });
      return [checkoutCompleted(purchase)];
    }
    case "refunded": {
      const purchase = p({ at: now - 9 * DAY, periodEnd: now + 21 * DAY });
      return [checkoutCompleted(purchase), invoiceEvent(purchase, "invoice.paid"), chargeRefunded(purchase, { created: now - 8 * DAY })];
    }
    case "past_due": {
      const purchase = p({ at: now - 32 * DAY, periodEnd: now + 2 * DAY });
      return [
        checkoutCompleted(purchase),
        invoiceEvent(purchase, "invoice.paid"),
        invoiceEvent(purchase, "invoice.payment_failed", { created: now - 2 * DAY, invoiceId: `${purchase.invoiceId}_renewal` }),
      ];
    }
    case "canceling": {
      const purchase = p({ at: now - 25 * DAY, periodEnd: now + 5 * DAY });
      return [checkoutCompleted(purchase), subscriptionEvent(purchase, "customer.subscription.updated", { cancelAtPeriodEnd: true, created: now - DAY })];
    }
    case "masterclass": {
      const purchase = p({ at: now - 3 * DAY, priceId: "price_demo_masterclass" });
      return [checkoutCompleted(purchase)];
    }
  }
}

interface Customer {
  email: string;
  state: SeedState;
  token: string;
}

async function seed(db: Database): Promise<{ catalog: PlanCatalog; customers: Customer[]; summary: string }> {
  const circle = createFakeCircle();
  const kit = createFakeKit();
  const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
  cleanups.push(() => Promise.all([circle.stop(), kit.stop()]).then(() => undefined));
  circle.latencyMs = 0;
  kit.latencyMs = 0;
  const tag = (name: string) => kit.addTag(name);
  const activeTag = tag("paid_active");
  const refundedTag = tag("refunded");
  const catalog = parseCatalog({
    version: 1,
    paymentGraceDays: 7,
    promotionalTagIds: [tag("promotions")],
    plans: [
      {
        key: "community_monthly",
        name: "Community (monthly)",
        stripePriceIds: ["price_demo_community_monthly"],
        circleAccessGroupIds: [circle.addAccessGroup("Community")],
        kitTagIds: { active: [activeTag], onboarding: [tag("onboarding")], pastDue: [tag("payment_failed")], canceled: [tag("offboarding")], refunded: [refundedTag] },
      },
      {
        key: "masterclass",
        name: "Masterclass",
        stripePriceIds: ["price_demo_masterclass"],
        circleAccessGroupIds: [circle.addAccessGroup("Masterclass")],
        kitTagIds: { active: [activeTag], refunded: [refundedTag] },
      },
    ],
  });

  const now = Math.floor(Date.now() / 1000);
  const customers: Customer[] = [];
  const events: Array<{ id: string; type: string; created: number }> = [];
  for (let i = 0; i < settings.BENCH_CUSTOMERS; i++) {
    const state = STATES[i % STATES.length]!;
    events.push(...customerEvents(state, i, now));
    // A host site signs once per page load; not part of a turn's server time.
    const email = normalizeEmail(`bench-${i}@example.com`);
    customers.push({ email, state, token: await signIdentityToken(email, IDENTITY_SECRET, { expiresInSeconds: 3_600 }) });
  }
  // Recorded as the webhook route records them (one statement per batch); the worker applies them.
  for (let i = 0; i < events.length; i += 200) {
    await recordEvents(db, events.slice(i, i + 200).map(stripeLedgerEntry));
  }

  const handlers = handlersForFakes({ db, catalog, circleUrl: circleServer.url, kitUrl: kitServer.url, timeoutMs: 2_000 });
  const worker = createWorker({ db, handlers, concurrency: 8, pollMs: 10, leaseMs: 30_000, backoff: { baseMs: 20, capMs: 200 } });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if ((await worker.runOnce()) > 0) continue;
    const [pending] = await db.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" < now() + interval '10 seconds'`,
    );
    if (!pending || pending.n === 0) break;
    if (Date.now() > deadline) throw new Error(`seeding: ${pending.n} jobs still pending after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await worker.stop();

  const rows = await db.sql<{ what: string; n: number }>(
    `SELECT 'entitlement ' || status::text AS what, count(*)::int AS n FROM "Entitlement" GROUP BY 1
     UNION ALL SELECT 'access ' || state::text, count(*)::int FROM "AccessGrant" GROUP BY 1
     UNION ALL SELECT 'job ' || status::text, count(*)::int FROM "Job" GROUP BY 1
     ORDER BY 1`,
  );
  const summary = rows.map((row) => `${row.what} ${row.n}`).join(", ");
  return { catalog, customers, summary };
}

// ---- 1. chat turns ----------------------------------------------------------------------

interface TurnResult {
  conversations: number;
  turnsPerSecond: number;
  latency: Latency;
  turns: number;
  errors: ErrorTally;
  cpu: CpuUse;
}

type ChatHandlers = ReturnType<typeof createChatHandlers>;

/** Checks a finished turn: a 200 stream that called the tool and said something that is not the error line. */
function checkTurn(status: number, raw: string): string | null {
  if (status !== 200) return `HTTP ${status} ${raw.slice(0, 160)}`;
  if (!raw.includes(`"type":"tool-output-available"`)) return "no tool result in the stream";
  if (!raw.includes(`"type":"text-delta"`)) return "no text in the stream";
  if (raw.includes(`"type":"error"`)) return "an error part in the stream";
  return null;
}

interface Turn {
  failure: string | null;
  sentAt: number;
  answeredAt: number;
}

/** One turn: post(request) until the response stream is fully read. Each conversation slot has its own client address. */
async function sendTurn(chat: ChatHandlers, customer: Customer, slot: number, conversationId: string, text: string): Promise<Turn> {
  const request = new Request("http://bench/api/chat", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${customer.token}`, "x-forwarded-for": `10.0.${slot >> 8}.${slot & 255}` },
    body: JSON.stringify({ id: conversationId, messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }] }),
  });
  const sentAt = performance.now();
  let failure: string | null;
  try {
    const response = await chat.post(request);
    const raw = await response.text();
    failure = checkTurn(response.status, raw);
  } catch (error) {
    failure = `${(error as Error).name}: ${(error as Error).message}`;
  }
  return { failure, sentAt, answeredAt: performance.now() };
}

/** The measurement window a conversation sends into: turns sent before `measureFrom` are warm-up; none is sent after `stopAt`. */
interface Window {
  measureFrom: number;
  stopAt: number;
  record(turn: Turn): void;
}

/** Runs one conversation per slot (each a different customer) through a warm-up and a timed window. */
async function measureTurns(
  customers: Customer[],
  conversations: number,
  measureSeconds: number,
  conversation: (customer: Customer, slot: number, window: Window) => Promise<void>,
): Promise<TurnResult> {
  const measureFrom = performance.now() + settings.BENCH_WARMUP_S * 1000;
  const latencies: number[] = [];
  const errors = new ErrorTally();
  let lastAnswer = measureFrom;
  const window: Window = {
    measureFrom,
    stopAt: measureFrom + measureSeconds * 1000,
    record({ failure, sentAt, answeredAt }) {
      if (failure) errors.add(failure);
      if (failure || sentAt < measureFrom) return;
      latencies.push(answeredAt - sentAt);
      lastAnswer = Math.max(lastAnswer, answeredAt);
    },
  };
  const meter = new Promise<ReturnType<typeof startCpuMeter>>((resolve) =>
    setTimeout(() => resolve(startCpuMeter(null)), settings.BENCH_WARMUP_S * 1000),
  );
  await Promise.all(Array.from({ length: conversations }, (_, slot) => conversation(customers[slot % customers.length]!, slot, window)));
  const cpu = (await meter).stop();
  const seconds = (lastAnswer - measureFrom) / 1000;
  return {
    conversations,
    turnsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    latency: latencySummary(latencies),
    turns: latencies.length,
    errors,
    cpu,
  };
}

/** Closed loop: each conversation sends its next turn as soon as the previous one is read, in a new conversation id. */
function closedLoop(chat: ChatHandlers, customers: Customer[], conversations: number): Promise<TurnResult> {
  return measureTurns(customers, conversations, settings.BENCH_MEASURE_S, async (customer, slot, window) => {
    while (performance.now() < window.stopAt) {
      window.record(await sendTurn(chat, customer, slot, crypto.randomUUID(), settings.BENCH_MESSAGE));
    }
  });
}

/**
 * The SDK floor, closed loop: the handler's model step (`streamReply`, the UI message stream read
 * to the end) for one new message, with getEntitlement returning `view` instead of reading the
 * database and the reply stored nowhere.
 */
function sdkFloor(db: Database, catalog: PlanCatalog, customers: Customer[], view: unknown, conversations: number): Promise<TurnResult> {
  const model = createOfflineModel();
  return measureTurns(customers, conversations, settings.BENCH_MEASURE_S, async (customer, _slot, window) => {
    const real = createTools({ identity: customer.email, db, catalog });
    const tools = { ...real, getEntitlement: { ...real.getEntitlement, execute: async () => view } };
    while (performance.now() < window.stopAt) {
      const sentAt = performance.now();
      let failure: string | null;
      try {
        const messages: UIMessage[] = [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: settings.BENCH_MESSAGE }] }];
        const response = await streamReply({ model, messages, tools, conversationId: "floor", storeReply: async () => {} });
        failure = checkTurn(response.status, await response.text());
      } catch (error) {
        failure = `${(error as Error).name}: ${(error as Error).message}`;
      }
      window.record({ failure, sentAt, answeredAt: performance.now() });
    }
  });
}

// What a customer asks, turn after turn, in one conversation: every line is answered from getEntitlement.
const PACED_SCRIPT = [
  "I paid but can't log in",
  "is my membership active?",
  "where is my community invite?",
  "when was my last payment?",
  "what plan am I on?",
];

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Paced: conversations at human pace. Each one thinks (BENCH_THINK_MS, uniformly +-50%) between
 * reading a reply and sending its next message, and keeps one conversation id for
 * BENCH_PACED_TURNS turns (the history grows as in a real chat) before starting another.
 */
function paced(chat: ChatHandlers, customers: Customer[], conversations: number): Promise<TurnResult> {
  const pick = seededRandom(settings.BENCH_SEED);
  const thinkTime = () => settings.BENCH_THINK_MS * (0.5 + pick());
  return measureTurns(customers, conversations, settings.BENCH_PACED_MEASURE_S, async (customer, slot, window) => {
    // Conversations start spread over one think time, not all at once.
    await sleep(pick() * settings.BENCH_THINK_MS);
    let conversationId = "";
    for (let turn = 0; performance.now() < window.stopAt; turn++) {
      const step = turn % settings.BENCH_PACED_TURNS;
      if (step === 0) conversationId = crypto.randomUUID();
      window.record(await sendTurn(chat, customer, slot, conversationId, PACED_SCRIPT[step % PACED_SCRIPT.length]!));
      // Not past the window's end: the run ends with its last answer, as the closed loop's does.
      await sleep(Math.min(thinkTime(), window.stopAt - performance.now()));
    }
  });
}

// ---- 2. the getEntitlement tool ---------------------------------------------------------

async function toolCalls(db: Database, catalog: PlanCatalog, customers: Customer[]): Promise<{ latency: Latency; calls: number; cpu: CpuUse }> {
  const pick = seededRandom(settings.BENCH_SEED);
  const toolsFor = customers.map((customer) => createTools({ identity: customer.email, db, catalog }).getEntitlement);
  const samples: number[] = [];
  let meter: ReturnType<typeof startCpuMeter> | null = null;
  const total = settings.BENCH_TOOL_WARMUP + settings.BENCH_TOOL_CALLS;
  for (let i = 0; i < total; i++) {
    if (i === settings.BENCH_TOOL_WARMUP) meter = startCpuMeter(null);
    const index = Math.floor(pick() * customers.length);
    const tool = toolsFor[index]!;
    if (!tool.execute) throw new Error("getEntitlement has no execute");
    const startedAt = performance.now();
    const output = (await tool.execute({}, { toolCallId: `bench_${i}`, messages: [] })) as { found: boolean };
    const elapsed = performance.now() - startedAt;
    if (!output.found) throw new Error(`getEntitlement found no record for seeded customer ${customers[index]!.email}`);
    if (i >= settings.BENCH_TOOL_WARMUP) samples.push(elapsed);
  }
  return { latency: latencySummary(samples), calls: samples.length, cpu: (meter ?? startCpuMeter(null)).stop() };
}

// ---- main -------------------------------------------------------------------------------

function logTurns({ conversations, turnsPerSecond, turns, latency, errors, cpu }: TurnResult) {
  console.log(
    `  ${String(conversations).padStart(2)} conversations: ${fmt(turnsPerSecond)} turns/s (${turns} measured), ` +
      `p50 ${ms(latency.p50)} / p95 ${ms(latency.p95)} / p99 ${ms(latency.p99)} / max ${ms(latency.max)} ms, errors ${errors.count}` +
      `${errors.count ? ` (${errors.describe()})` : ""}; CPU bench process ${fmt(cpu.client)}%, postgres ${fmt(cpu.postgres)}%, other ${fmt(cpu.other)}%, steal ${fmt(cpu.steal)}%`,
  );
}

/** A row of the turn tables: the figures of a run, the CPU per turn derived from the CPU use and the turn rate. */
function turnRow(t: TurnResult): string[] {
  return [
    fmt(t.turnsPerSecond),
    ms(t.latency.p50),
    ms(t.latency.p95),
    ms(t.latency.p99),
    ms(t.latency.max),
    String(t.turns),
    String(t.errors.count),
    `${fmt(t.cpu.client)}%`,
    `${fmt(t.cpu.postgres)}%`,
    fmt((10 * t.cpu.client) / t.turnsPerSecond, 2),
    fmt((10 * t.cpu.postgres) / t.turnsPerSecond, 2),
  ];
}
const TURN_COLUMNS = ["Turns/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "Turns", "Errors", "CPU bench", "postgres", "CPU ms/turn: bench", "postgres"];

async function main() {
  console.log("1. database");
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, settings.BENCH_POOL_SIZE);
  const machine = await machineInfo(db);
  const background = await waitForQuiet(QUIET_THRESHOLD, settings.BENCH_QUIET_WAIT_S * 1000);
  console.log(`  background CPU before the run: ${fmt(background.machine)}% busy, ${fmt(background.steal)}% stolen, of ${machine.nproc * 100}%`);

  console.log(`2. seeding ${settings.BENCH_CUSTOMERS} customers (${STATES.join(", ")}) through the ledger and the worker`);
  const seedStart = performance.now();
  const { catalog, customers, summary } = await seed(db);
  console.log(`  ${fmt((performance.now() - seedStart) / 1000, 1)} s: ${summary}`);

  const chat = createChatHandlers({
    db,
    catalog,
    identitySecret: IDENTITY_SECRET,
    // In memory and far above any rate the bench reaches: the bench measures turns, not limits.
    rateLimiter: createChatRateLimiter({
      kind: "memory",
      keySecret: IDENTITY_SECRET,
      limits: { customer: { requests: 1_000_000_000, windowMs: 60_000 }, ip: { requests: 1_000_000_000, windowMs: 60_000 } },
    }),
    model: createOfflineModel(),
  });

  console.log(`3. chat turns ("${settings.BENCH_MESSAGE}", a new conversation per turn): ${settings.BENCH_CONVERSATIONS.join("/")} conversations, ${settings.BENCH_WARMUP_S} s warm-up + ${settings.BENCH_MEASURE_S} s, closed loop`);
  const turns: TurnResult[] = [];
  for (const conversations of settings.BENCH_CONVERSATIONS) {
    if (conversations > customers.length) throw new Error(`${conversations} conversations need at least as many customers (BENCH_CUSTOMERS=${customers.length})`);
    await quiet(settings.BENCH_QUIET_WAIT_S);
    const result = await closedLoop(chat, customers, conversations);
    turns.push(result);
    logTurns(result);
  }

  const pacedConversations = settings.BENCH_PACED_CONVERSATIONS;
  let pacedTurns: TurnResult | null = null;
  if (pacedConversations > 0) {
    console.log(
      `4. paced chat turns: ${pacedConversations} conversations of ${settings.BENCH_PACED_TURNS} turns each, think time ${settings.BENCH_THINK_MS} ms +-50%, ` +
        `${settings.BENCH_WARMUP_S} s warm-up + ${settings.BENCH_PACED_MEASURE_S} s`,
    );
    if (pacedConversations > customers.length) throw new Error(`${pacedConversations} conversations need at least as many customers (BENCH_CUSTOMERS=${customers.length})`);
    await quiet(settings.BENCH_QUIET_WAIT_S);
    pacedTurns = await paced(chat, customers, pacedConversations);
    logTurns(pacedTurns);
  }

  console.log(`5. the AI SDK's floor (no identity check, no database, no history): ${settings.BENCH_CONVERSATIONS.join("/")} in flight, closed loop`);
  const floorView = await createTools({ identity: customers[0]!.email, db, catalog }).getEntitlement.execute!({}, { toolCallId: "floor", messages: [] });
  const floor: TurnResult[] = [];
  for (const conversations of settings.BENCH_CONVERSATIONS) {
    await quiet(settings.BENCH_QUIET_WAIT_S);
    const result = await sdkFloor(db, catalog, customers, floorView, conversations);
    floor.push(result);
    logTurns(result);
  }

  console.log(`6. getEntitlement tool: ${settings.BENCH_TOOL_WARMUP} warm-up + ${settings.BENCH_TOOL_CALLS} sequential calls, random seeded customers`);
  await quiet(settings.BENCH_QUIET_WAIT_S);
  const tool = await toolCalls(db, catalog, customers);
  console.log(
    `  p50 ${ms(tool.latency.p50)} / p95 ${ms(tool.latency.p95)} / p99 ${ms(tool.latency.p99)} / max ${ms(tool.latency.max)} ms; ` +
      `CPU bench process ${fmt(tool.cpu.client)}%, postgres ${fmt(tool.cpu.postgres)}%`,
  );

  // ---- the report ----
  const lines: string[] = [];
  const table = (head: string[], rows: string[][]) => {
    lines.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`), "");
  };
  lines.push(
    "## Machine",
    "",
    `- ${machine.nproc} cores: ${machine.cpuModel}; ${fmt(machine.memoryGiB, 1)} GiB memory; ${machine.kernel}`,
    `- Node ${machine.node}; ${machine.postgres}`,
    `- The bench (handler in process) and PostgreSQL share these ${machine.nproc} cores. Background CPU before the run: ${fmt(background.machine)}% busy, ${fmt(background.steal)}% stolen.`,
    `- ${settings.BENCH_CUSTOMERS} customers seeded through the ledger and the worker (${summary}); database pool ${settings.BENCH_POOL_SIZE}; rate limits in memory, set out of reach.`,
    "",
    `## Chat turn server time (offline model; "${settings.BENCH_MESSAGE}" -> getEntitlement -> answer; new conversation per turn; ${settings.BENCH_WARMUP_S} s warm-up + ${settings.BENCH_MEASURE_S} s, closed loop)`,
    "",
  );
  table(["Conversations", ...TURN_COLUMNS], turns.map((t) => [String(t.conversations), ...turnRow(t)]));
  if (pacedTurns) {
    lines.push(
      `## Chat turn server time, paced (conversations of ${settings.BENCH_PACED_TURNS} turns in one conversation id, think time ${settings.BENCH_THINK_MS} ms +-50% between a reply and the next message; ${settings.BENCH_WARMUP_S} s warm-up + ${settings.BENCH_PACED_MEASURE_S} s)`,
      "",
    );
    table(["Conversations", "Think ms", ...TURN_COLUMNS], [[String(pacedTurns.conversations), String(settings.BENCH_THINK_MS), ...turnRow(pacedTurns)]]);
  }
  lines.push(
    "## The AI SDK's floor (the same streamText call, model and tools; getEntitlement returns a record read before the run; no identity check, rate limit, database or history; closed loop)",
    "",
  );
  table(["In flight", ...TURN_COLUMNS], floor.map((t) => [String(t.conversations), ...turnRow(t)]));
  lines.push(`## getEntitlement tool (sequential, ${settings.BENCH_TOOL_CALLS} calls after ${settings.BENCH_TOOL_WARMUP} warm-up)`, "");
  table(["Calls", "p50 ms", "p95 ms", "p99 ms", "max ms"], [[String(tool.calls), ms(tool.latency.p50), ms(tool.latency.p95), ms(tool.latency.p99), ms(tool.latency.max)]]);

  lines.push("## Targets", "");
  const turnCheck = (label: string, t: TurnResult) => {
    const met = t.latency.p95 <= TARGETS.turnP95Ms && t.errors.count === 0;
    return [label, `<= ${TARGETS.turnP95Ms} ms, no errors`, `${ms(t.latency.p95)} ms, ${t.errors.count} errors`, met ? "yes" : "no"];
  };
  const checks = turns.map((t) => turnCheck(`Chat turn p95, ${t.conversations} conversations (closed loop)`, t));
  if (pacedTurns) checks.push(turnCheck(`Chat turn p95, ${pacedTurns.conversations} conversations (paced)`, pacedTurns));
  checks.push(["getEntitlement p95", `<= ${TARGETS.toolP95Ms} ms`, `${ms(tool.latency.p95)} ms`, tool.latency.p95 <= TARGETS.toolP95Ms ? "yes" : "no"]);
  table(["Check", "Target", "Measured", "Met"], checks);
  console.log(`\n${lines.join("\n")}`);
}

try {
  await main();
} catch (error) {
  console.error(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
