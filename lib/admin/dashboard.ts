import type { Database } from "../db";
import type { JobKind } from "../jobs/kinds";
import type * as Db from "../generated/prisma/enums";
import { checkoutsWithAccessSql } from "../observability/payment-to-access";

// The console dashboard's numbers, each chart one statement: how long a purchase waits for its
// community access, what became of the webhooks hour by hour, the outbox's depth and its oldest
// due job, dead letters, tickets and their deduplicated repeats per day, and the conversations the
// bot closed without a person. Hours and days are UTC; series are dense (empty slots are zeros).

/** Upper edges, in seconds, of the payment-to-access histogram's buckets; the last bucket is open. */
export const PAYMENT_TO_ACCESS_EDGES = [1, 5, 15, 60, 300, 900, 3600] as const;
const PAYMENT_WINDOW_DAYS = 7;
const OUTCOME_HOURS = 48;
const DAYS = 14;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

type Outcomes = Record<Db.EventOutcome, number>;

export interface DashboardData {
  asOf: Date;
  /**
   * Seconds from a purchase's checkout event reaching us (its ledger receivedAt) to the first
   * Circle grant job of that customer created within a day after it finishing successfully, for
   * checkouts received in the last 7 days. `purchases` counts every such checkout; those whose
   * customer needed no grant (already a member of the group) or whose grant has not succeeded
   * yet are not `samples`.
   */
  paymentToAccess: {
    windowDays: number;
    purchases: number;
    samples: number;
    p50Seconds: number | null;
    p95Seconds: number | null;
    buckets: Array<{ fromSeconds: number; toSeconds: number | null; count: number }>;
  };
  /** The last 48 hours (the current one last), events by the hour they were received. */
  webhookOutcomesPerHour: Array<{ hour: Date; stripe: Outcomes; kit: Outcomes }>;
  queue: {
    /** Jobs waiting or running, by status and kind. */
    depth: Array<{ status: "queued" | "running"; kind: string; count: number }>;
    /** How long the oldest queued job whose time has come has been due; null when none is. */
    oldestDueAgeSeconds: number | null;
  };
  deadLetters: {
    /** Dead jobs now (waiting for a replay or a discard). */
    now: number;
    /** Jobs dead-lettered each day (by when they died) that are still dead or were discarded; last 14 days. */
    perDay: Array<{ day: Date; count: number }>;
  };
  /** Tickets opened, and repeat asks folded into an open ticket instead of a new one, per day; last 14 days. */
  ticketsPerDay: Array<{ day: Date; opened: number; repeats: number }>;
  /** Chat conversations by the day they started: closed by the bot alone (no ticket) or with a ticket opened from them; last 14 days. */
  botClosedConversations: Array<{ day: Date; withoutTicket: number; withTicket: number }>;
}

const epochMs = (expression: string) => `round(EXTRACT(EPOCH FROM ${expression}) * 1000)::float8`;

// $1 now, $2 the bucket edges (0 first), $3 the Circle grant's job kind.
const PAYMENT_TO_ACCESS_SQL = `
WITH purchases AS (${checkoutsWithAccessSql(`e."receivedAt" > $1::timestamp - interval '${PAYMENT_WINDOW_DAYS} days' AND e."receivedAt" <= $1::timestamp`, "$3")}
), samples AS (
  SELECT EXTRACT(EPOCH FROM ("accessAt" - "receivedAt"))::float8 AS seconds FROM purchases WHERE "accessAt" IS NOT NULL
)
SELECT (SELECT count(*)::int FROM purchases) AS purchases,
       (SELECT count(*)::int FROM samples) AS samples,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM samples)::float8 AS p50,
       (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) FROM samples)::float8 AS p95,
       (SELECT COALESCE(json_agg(json_build_object('bucket', bucket, 'count', n)), '[]')
          FROM (SELECT width_bucket(seconds, $2::float8[]) AS bucket, count(*)::int AS n FROM samples GROUP BY 1) AS counted) AS buckets`;

// $1 now: events received in the last 48 whole hours, by hour, provider and outcome.
const OUTCOMES_SQL = `
SELECT ${epochMs(`date_trunc('hour', "receivedAt")`)} AS hour, provider::text AS provider, outcome::text AS outcome, count(*)::int AS count
  FROM "WebhookEvent"
 WHERE "receivedAt" >= date_trunc('hour', $1::timestamp) - interval '${OUTCOME_HOURS - 1} hours' AND "receivedAt" <= $1::timestamp
 GROUP BY 1, 2, 3`;

// $1 now, $2 the first day of the series.
const QUEUE_SQL = `
SELECT (SELECT COALESCE(json_agg(json_build_object('status', status, 'kind', kind, 'count', n) ORDER BY status, kind), '[]')
          FROM (SELECT status::text AS status, kind, count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') GROUP BY 1, 2) AS depth) AS depth,
       (SELECT EXTRACT(EPOCH FROM ($1::timestamp - min("runAt")))::float8 FROM "Job" WHERE status = 'queued' AND "runAt" <= $1::timestamp) AS "oldestDueAgeSeconds",
       (SELECT count(*)::int FROM "Job" WHERE status = 'dead') AS "deadNow",
       (SELECT COALESCE(json_agg(json_build_object('day', day, 'count', n)), '[]')
          FROM (SELECT ${epochMs(`date_trunc('day', "finishedAt")`)} AS day, count(*)::int AS n FROM "Job"
                 WHERE status IN ('dead', 'discarded') AND "finishedAt" >= $2::timestamp AND "finishedAt" <= $1::timestamp GROUP BY 1) AS died) AS "deadPerDay"`;

// $1 now, $2 the first day of the series.
const SUPPORT_SQL = `
SELECT (SELECT COALESCE(json_agg(json_build_object('day', day, 'count', n)), '[]')
          FROM (SELECT ${epochMs(`date_trunc('day', "createdAt")`)} AS day, count(*)::int AS n FROM "Ticket"
                 WHERE "createdAt" >= $2::timestamp AND "createdAt" <= $1::timestamp GROUP BY 1) AS opened) AS opened,
       (SELECT COALESCE(json_agg(json_build_object('day', day, 'count', n)), '[]')
          FROM (SELECT ${epochMs(`date_trunc('day', "createdAt")`)} AS day, count(*)::int AS n FROM "TicketNote"
                 WHERE kind = 'ask' AND "createdAt" >= $2::timestamp AND "createdAt" <= $1::timestamp GROUP BY 1) AS asked) AS repeats,
       (SELECT COALESCE(json_agg(json_build_object('day', day, 'withTicket', with_ticket, 'withoutTicket', without_ticket)), '[]')
          FROM (SELECT ${epochMs(`date_trunc('day', v."createdAt")`)} AS day,
                       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Ticket" t WHERE t."conversationId" = v.id))::int AS with_ticket,
                       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "Ticket" t WHERE t."conversationId" = v.id))::int AS without_ticket
                  FROM "Conversation" v WHERE v."createdAt" >= $2::timestamp AND v."createdAt" <= $1::timestamp GROUP BY 1) AS chats) AS conversations`;

const noOutcomes = (): Outcomes => ({ pending: 0, applied: 0, ignored: 0, failed: 0 });

/** `count` slots of `stepMs` ending with the one holding `now`, each filled from `values` by its start (epoch ms). */
function series<T>(now: Date, stepMs: number, count: number, fill: (start: number) => T): Array<T> {
  const last = Math.floor(now.getTime() / stepMs) * stepMs;
  return Array.from({ length: count }, (_, index) => fill(last - (count - 1 - index) * stepMs));
}

const countsByDay = (rows: Array<{ day: number; count: number }>) => new Map(rows.map((row) => [row.day, row.count]));

export async function dashboardData(db: Database, now: Date): Promise<DashboardData> {
  const at = now.toISOString();
  const firstDay = new Date((Math.floor(now.getTime() / DAY_MS) - (DAYS - 1)) * DAY_MS).toISOString();
  type PaymentRow = { purchases: number; samples: number; p50: number | null; p95: number | null; buckets: Array<{ bucket: number; count: number }> };
  type OutcomeRow = { hour: number; provider: Db.Provider; outcome: Db.EventOutcome; count: number };
  type QueueRow = {
    depth: DashboardData["queue"]["depth"];
    oldestDueAgeSeconds: number | null;
    deadNow: number;
    deadPerDay: Array<{ day: number; count: number }>;
  };
  type SupportRow = {
    opened: Array<{ day: number; count: number }>;
    repeats: Array<{ day: number; count: number }>;
    conversations: Array<{ day: number; withTicket: number; withoutTicket: number }>;
  };
  const [[payment], outcomes, [queue], [support]] = await Promise.all([
    db.sql<PaymentRow>(PAYMENT_TO_ACCESS_SQL, [at, [0, ...PAYMENT_TO_ACCESS_EDGES], "circle.grant" satisfies JobKind]),
    db.sql<OutcomeRow>(OUTCOMES_SQL, [at]),
    db.sql<QueueRow>(QUEUE_SQL, [at, firstDay]),
    db.sql<SupportRow>(SUPPORT_SQL, [at, firstDay]),
  ]);
  if (!payment || !queue || !support) throw new Error("dashboard query returned no row");

  // width_bucket numbers bucket [edge i-1, edge i) as i, counting from 1 at [0, first edge).
  const bucketCounts = new Map(payment.buckets.map((row) => [row.bucket, row.count]));
  const edges = [0, ...PAYMENT_TO_ACCESS_EDGES];
  const hours = new Map<number, { stripe: Outcomes; kit: Outcomes }>();
  for (const row of outcomes) {
    if (row.provider === "circle") continue;
    const slot = hours.get(row.hour) ?? { stripe: noOutcomes(), kit: noOutcomes() };
    slot[row.provider][row.outcome] += row.count;
    hours.set(row.hour, slot);
  }
  const opened = countsByDay(support.opened);
  const repeats = countsByDay(support.repeats);
  const died = countsByDay(queue.deadPerDay);
  const chats = new Map(support.conversations.map((row) => [row.day, row]));

  return {
    asOf: now,
    paymentToAccess: {
      windowDays: PAYMENT_WINDOW_DAYS,
      purchases: payment.purchases,
      samples: payment.samples,
      p50Seconds: payment.p50,
      p95Seconds: payment.p95,
      buckets: edges.map((from, index) => ({ fromSeconds: from, toSeconds: edges[index + 1] ?? null, count: bucketCounts.get(index + 1) ?? 0 })),
    },
    webhookOutcomesPerHour: series(now, HOUR_MS, OUTCOME_HOURS, (start) => ({ hour: new Date(start), ...(hours.get(start) ?? { stripe: noOutcomes(), kit: noOutcomes() }) })),
    queue: { depth: queue.depth, oldestDueAgeSeconds: queue.oldestDueAgeSeconds },
    deadLetters: { now: queue.deadNow, perDay: series(now, DAY_MS, DAYS, (start) => ({ day: new Date(start), count: died.get(start) ?? 0 })) },
    ticketsPerDay: series(now, DAY_MS, DAYS, (start) => ({ day: new Date(start), opened: opened.get(start) ?? 0, repeats: repeats.get(start) ?? 0 })),
    botClosedConversations: series(now, DAY_MS, DAYS, (start) => ({
      day: new Date(start),
      withoutTicket: chats.get(start)?.withoutTicket ?? 0,
      withTicket: chats.get(start)?.withTicket ?? 0,
    })),
  };
}
