// The handoff benchmark (npx tsx test/bench/handoff.ts): what the widget's polling of
// GET /api/chat costs the server, and how long a person's reply takes to reach the widget at
// the widget's poll interval, on a fresh PostgreSQL database.
//
// Setup (SQL, not the product's write paths: only the reads are measured): BENCH_CONVERSATIONS
// conversations of BENCH_MESSAGES messages each (a customer's question, the bot's tool call and
// answer, alternately), BENCH_TICKETS tickets of which BENCH_OPEN_TICKETS are open (the queue the
// held check reads), and every other open ticket holding its conversation.
//
// 1. One poll, sequentially: handleChatGet(request) for a random conversation (half of them
//    held) until its JSON body is read: identity token check, the one SQL statement (history of
//    up to 40 messages and the held check), JSON. p50/p95/p99 over BENCH_POLLS polls after
//    BENCH_POLL_WARMUP. Then BENCH_POLLERS concurrent pollers, back to back, for
//    BENCH_MEASURE_S: polls per second one process serves, so how many open widgets it carries at
//    one poll every POLL_MS.
// 2. Reply to widget: BENCH_WIDGETS widgets each poll their held conversation every interval
//    (3 s, the widget's POLL_MS, and 1 s, its FAST_POLL_MS), starting at random phases; a
//    person replies to each at a random moment (performTicketAction, the reply route's
//    function); the time from the reply's commit to the first poll answer that carries it.
//
//   BENCH_POSTGRES_URL=postgresql://postgres:postgres@127.0.0.1:5432/postgres npx tsx test/bench/handoff.ts
import crypto from "node:crypto";
import { z } from "zod";
import { createAdmin } from "../../lib/admin/accounts";
import { SETUP_OPERATOR } from "../helpers/actors";
import { performTicketAction } from "../../lib/admin/tickets-api";
import { createChatHandlers, type ChatHistory } from "../../lib/chat/handler";
import { createOfflineModel } from "../../lib/chat/offline-model";
import type { Database } from "../../lib/db";
import { signIdentityToken } from "../../lib/identity";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { createChatRateLimiter } from "../../lib/ratelimit";
import { cleanUp, createBenchDatabase, fmt, machineInfo, ms, quiet } from "./common";
import { latencySummary, type Latency } from "./load";

const settings = z
  .object({
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    BENCH_POOL_SIZE: z.coerce.number().int().positive().default(10),
    BENCH_CONVERSATIONS: z.coerce.number().int().positive().default(2_000),
    BENCH_MESSAGES: z.coerce.number().int().positive().default(20),
    BENCH_TICKETS: z.coerce.number().int().positive().default(20_000),
    BENCH_OPEN_TICKETS: z.coerce.number().int().positive().default(1_000),
    BENCH_POLL_WARMUP: z.coerce.number().int().min(0).default(300),
    BENCH_POLLS: z.coerce.number().int().positive().default(3_000),
    BENCH_POLLERS: z.coerce.number().int().positive().default(16),
    BENCH_MEASURE_S: z.coerce.number().positive().default(8),
    BENCH_WIDGETS: z.coerce.number().int().positive().default(40),
    BENCH_INTERVALS_MS: z
      .string()
      .default("3000,1000")
      .transform((list) => list.split(",").map(Number))
      .pipe(z.array(z.number().int().positive()).min(1)),
    BENCH_QUIET_WAIT_S: z.coerce.number().min(0).default(30),
  })
  .parse(process.env);

const IDENTITY_SECRET = crypto.randomBytes(32).toString("hex");
const identityOf = (index: number) => `handoff-${index}@example.com`;
const conversationOf = (index: number) => `conv-${index}`;

// ---- seeding ----------------------------------------------------------------------------

/** Conversations, messages and tickets; returns the held conversations' indexes and tickets. */
async function seed(db: Database): Promise<{ held: Array<{ index: number; ticketId: string }>; plain: number[] }> {
  const { BENCH_CONVERSATIONS: conversations, BENCH_MESSAGES: messages, BENCH_TICKETS: tickets, BENCH_OPEN_TICKETS: open } = settings;
  if (open > conversations) throw new Error("BENCH_OPEN_TICKETS must not exceed BENCH_CONVERSATIONS: each open ticket has a conversation of its own");
  await db.sql(
    `INSERT INTO "Conversation" (id, identity, "createdAt", "updatedAt")
     SELECT 'conv-' || i, 'handoff-' || i || '@example.com', now() - interval '1 day', now() - interval '1 hour' FROM generate_series(0, $1::int - 1) AS i`,
    [conversations],
  );
  // A question, then the bot's tool call with its result and an answer: the shapes the chat stores.
  const question = JSON.stringify([{ type: "text", text: "I paid yesterday but I still can't get into the community, what is going on?" }]);
  const answer = JSON.stringify([
    { type: "step-start" },
    {
      type: "tool-getEntitlement",
      toolCallId: "call_bench",
      state: "output-available",
      input: {},
      output: {
        found: true,
        asOf: new Date().toISOString(),
        entitlements: [{ plan: "community_monthly", planName: "Community (monthly)", status: "active", accessUntil: null, cancelAtPeriodEnd: false }],
        access: [{ group: "Community (monthly) space", state: "invited", since: new Date().toISOString(), problem: null }],
        latestPayment: { status: "paid", at: new Date().toISOString() },
        pendingWork: [],
        openTickets: [],
      },
    },
    { type: "step-start" },
    {
      type: "text",
      text: "Your latest payment went through. Your Community (monthly) membership is active. An invitation to the Community (monthly) space was sent to the email address of your purchase. Please check your spam folder; I can send it again if you need.",
    },
  ]);
  await db.sql(
    `INSERT INTO "Message" (id, "conversationId", role, parts, "createdAt")
     SELECT gen_random_uuid(), 'conv-' || c, CASE WHEN m % 2 = 0 THEN 'user' ELSE 'assistant' END,
            CASE WHEN m % 2 = 0 THEN $3::jsonb ELSE $4::jsonb END, now() - interval '1 day' + m * interval '1 minute'
       FROM generate_series(0, $1::int - 1) AS c, generate_series(0, $2::int - 1) AS m`,
    [conversations, messages, question, answer],
  );
  // The open tickets first (one per conversation, every other one holding it), then resolved ones.
  const rows = await db.sql<{ id: string; index: number; held: boolean }>(
    `INSERT INTO "Ticket" (id, identity, category, status, summary, source, "dedupeKey", "conversationId", "heldAt", "resolvedAt", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), 'handoff-' || (i % $2::int) || '@example.com', 'other',
            CASE WHEN i < $3::int THEN 'open'::"TicketStatus" ELSE 'resolved'::"TicketStatus" END,
            'Customer asked for a person', 'chat', 'bench|' || i, 'conv-' || (i % $2::int),
            CASE WHEN i < $3::int AND i % 2 = 0 THEN now() ELSE NULL END,
            CASE WHEN i < $3::int THEN NULL ELSE now() END,
            now() - interval '2 days' + i * interval '1 second', now()
       FROM generate_series(0, $1::int - 1) AS i
     RETURNING id, (substring("conversationId" FROM 6))::int AS index, "heldAt" IS NOT NULL AS held`,
    [tickets, conversations, open],
  );
  await db.sql(`ANALYZE`);
  const held = rows.filter((row) => row.held).map((row) => ({ index: row.index, ticketId: row.id }));
  const heldIndexes = new Set(held.map((row) => row.index));
  const plain = Array.from({ length: conversations }, (_, index) => index).filter((index) => !heldIndexes.has(index));
  return { held, plain };
}

// ---- 1. poll cost -----------------------------------------------------------------------

type Chat = ReturnType<typeof createChatHandlers>;

async function pollOnce(chat: Chat, token: string, conversationId: string): Promise<ChatHistory> {
  const response = await chat.get(new Request(`http://bench/api/chat?id=${conversationId}`, { headers: { authorization: `Bearer ${token}` } }));
  if (response.status !== 200) throw new Error(`poll answered ${response.status}`);
  return (await response.json()) as ChatHistory;
}

async function sequentialPolls(chat: Chat, tokens: string[], picks: number[]): Promise<{ latency: Latency; mean: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < settings.BENCH_POLL_WARMUP + settings.BENCH_POLLS; i++) {
    const index = picks[i % picks.length]!;
    const started = performance.now();
    const response = await chat.get(new Request(`http://bench/api/chat?id=${conversationOf(index)}`, { headers: { authorization: `Bearer ${tokens[index]}` } }));
    const body = await response.text();
    const took = performance.now() - started;
    if (response.status !== 200) throw new Error(`poll answered ${response.status}`);
    if (i >= settings.BENCH_POLL_WARMUP) {
      samples.push(took);
      bytes += body.length;
    }
  }
  return { latency: latencySummary(samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length, bytes: bytes / samples.length };
}

async function concurrentPolls(chat: Chat, tokens: string[], picks: number[]): Promise<{ perSecond: number; latency: Latency }> {
  const stopAt = performance.now() + settings.BENCH_MEASURE_S * 1000;
  const samples: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: settings.BENCH_POLLERS }, async () => {
      while (performance.now() < stopAt) {
        const index = picks[next++ % picks.length]!;
        const started = performance.now();
        await pollOnce(chat, tokens[index]!, conversationOf(index));
        samples.push(performance.now() - started);
      }
    }),
  );
  return { perSecond: samples.length / settings.BENCH_MEASURE_S, latency: latencySummary(samples) };
}

// ---- 2. reply to widget -----------------------------------------------------------------

/**
 * Widgets polling every `intervalMs` from a random phase; each gets one reply at a random moment
 * one to two intervals in. Returns each reply's time from commit to the poll answer carrying it.
 */
async function replyToWidget(db: Database, chat: Chat, tokens: string[], held: Array<{ index: number; ticketId: string }>, intervalMs: number, agent: { adminId: string; email: string; name: string }) {
  const delays = await Promise.all(
    held.slice(0, settings.BENCH_WIDGETS).map(async ({ index, ticketId }) => {
      const text = `Reply ${crypto.randomUUID()}`;
      let committedAt: number | null = null;
      const replied = new Promise<void>((resolve, reject) => {
        setTimeout(
          () => {
            performTicketAction(db, ticketId, { kind: "reply", text }, { kind: "admin", ...agent })
              .then((result) => {
                if (!result.ok) throw new Error(result.message);
                committedAt = performance.now();
                resolve();
              })
              .catch(reject);
          },
          intervalMs * (1 + Math.random()),
        );
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
      for (;;) {
        const history = await pollOnce(chat, tokens[index]!, conversationOf(index));
        const seenAt = performance.now();
        const seen = history.messages.some((message) => message.parts.some((part) => part.type === "text" && part.text === text));
        if (seen) {
          await replied;
          return seenAt - committedAt!;
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    }),
  );
  return { latency: latencySummary(delays), mean: delays.reduce((a, b) => a + b, 0) / delays.length };
}

// ---- main -------------------------------------------------------------------------------

async function main() {
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, settings.BENCH_POOL_SIZE);
  const info = await machineInfo(db);
  console.log(`machine: ${info.nproc} cores, ${info.cpuModel}, ${fmt(info.memoryGiB, 1)} GiB, ${info.kernel}; node ${info.node}; ${info.postgres}`);
  const seeded = await seed(db);
  console.log(
    `seeded: ${fmt(settings.BENCH_CONVERSATIONS)} conversations x ${settings.BENCH_MESSAGES} messages, ${fmt(settings.BENCH_TICKETS)} tickets ` +
      `(${fmt(settings.BENCH_OPEN_TICKETS)} open, ${fmt(seeded.held.length)} holding their chat)`,
  );
  const chat = createChatHandlers({
    db,
    // Polls read no catalog; a turn would.
    catalog: parseCatalog({
      version: 1,
      paymentGraceDays: 7,
      promotionalTagIds: [],
      plans: [{ key: "community_monthly", name: "Community (monthly)", stripePriceIds: ["price_bench"], circleAccessGroupIds: [1], kitTagIds: { active: [1] } }],
    }),
    identitySecret: IDENTITY_SECRET,
    rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: IDENTITY_SECRET }),
    model: createOfflineModel(),
  });
  const tokens = await Promise.all(
    Array.from({ length: settings.BENCH_CONVERSATIONS }, (_, index) => signIdentityToken(identityOf(index), IDENTITY_SECRET, { expiresInSeconds: 3_600 })),
  );
  // Half of the polls are of held conversations, half of others, interleaved at random.
  const pickFrom = (list: number[]) => list[Math.floor(Math.random() * list.length)]!;
  const picks = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? pickFrom(seeded.held.map((row) => row.index)) : pickFrom(seeded.plain)));
  const check = await pollOnce(chat, tokens[seeded.held[0]!.index]!, conversationOf(seeded.held[0]!.index));
  if (!check.held || check.messages.length !== Math.min(40, settings.BENCH_MESSAGES)) throw new Error("seeding: a held conversation does not poll as held with its history");

  await quiet(settings.BENCH_QUIET_WAIT_S);
  const one = await sequentialPolls(chat, tokens, picks);
  console.log(
    `\n1. one poll (GET /api/chat, in process, sequential, ${fmt(settings.BENCH_POLLS)} polls): p50 ${ms(one.latency.p50)} ms, p95 ${ms(one.latency.p95)} ms, ` +
      `p99 ${ms(one.latency.p99)} ms, max ${ms(one.latency.max)} ms, mean ${ms(one.mean)} ms; answer ${fmt(one.bytes / 1024, 1)} KiB`,
  );
  await quiet(settings.BENCH_QUIET_WAIT_S);
  const many = await concurrentPolls(chat, tokens, picks);
  console.log(
    `   ${settings.BENCH_POLLERS} concurrent pollers, ${settings.BENCH_MEASURE_S} s: ${fmt(many.perSecond)} polls/s (p50 ${ms(many.latency.p50)} ms, p95 ${ms(many.latency.p95)} ms): ` +
      `one process carries about ${fmt(many.perSecond * 3)} open widgets at one poll every 3 s`,
  );

  const admin = await createAdmin(db, { email: "bench-agent@example.com", name: "Ana", password: "bench-agent-password-0123" }, SETUP_OPERATOR);
  const agent = { adminId: admin.id, email: admin.email, name: admin.name };
  let offset = 0;
  console.log(`\n2. reply to widget (${settings.BENCH_WIDGETS} widgets per interval, each polling its held conversation; a reply at a random moment):`);
  for (const intervalMs of settings.BENCH_INTERVALS_MS) {
    const widgets = seeded.held.slice(offset, offset + settings.BENCH_WIDGETS);
    if (widgets.length < settings.BENCH_WIDGETS) throw new Error("not enough held conversations for another interval: raise BENCH_OPEN_TICKETS");
    offset += settings.BENCH_WIDGETS;
    const delivery = await replyToWidget(db, chat, tokens, widgets, intervalMs, agent);
    console.log(
      `   every ${fmt(intervalMs / 1000, 1)} s: commit to widget p50 ${ms(delivery.latency.p50)} ms, p95 ${ms(delivery.latency.p95)} ms, ` +
        `max ${ms(delivery.latency.max)} ms, mean ${ms(delivery.mean)} ms (expected about half the interval on average, at most one interval plus a poll)`,
    );
  }
}

main()
  .catch((error: Error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
