import type { Database } from "../db";
import type * as Db from "../generated/prisma/enums";
import { enqueueEventReplay } from "../jobs/queue";
import { normalizeEmail } from "../lifecycle/events";
import { markEventForReplay } from "../record/store";
import { writeAudit, type AuditRow } from "./audit";
import type { Actor } from "./actor";

// The webhook event log: every event the ledger recorded, newest first, searchable by customer,
// type and outcome; and the replay of one stored event through the same apply path as a
// delivery (a lifecycle.apply job the worker runs; applying is idempotent).

export interface EventFilter {
  customerId?: string;
  /** The customer's email or one of their linked addresses. */
  email?: string;
  /** An event type, or the start of one ("invoice." lists every invoice event). */
  type?: string;
  provider?: Db.Provider;
  outcome?: Db.EventOutcome;
  /** Page size: at most this many events. */
  limit: number;
  /** A cursor: the id of the last event of the previous page; events received before it come next. */
  before?: string;
}

export interface EventLogEntry {
  id: string;
  provider: Db.Provider;
  eventId: string;
  type: string;
  providerCreatedAt: Date;
  receivedAt: Date;
  processedAt: Date | null;
  outcome: Db.EventOutcome;
  error: string | null;
  customer: { id: string; email: string } | null;
}

/** `_` and `%` in a search term match themselves. */
export const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// Ledger rows newest first (ties by id, so the cursor never skips a row received in the same
// statement as another), with their customer; the payload stays out of the list.
const EVENTS_SQL = `
SELECT e.id, e.provider::text AS provider, e."eventId", e.type, e."providerCreatedAt", e."receivedAt", e."processedAt",
       e.outcome::text AS outcome, e.error, c.id AS "customerId", c.email AS "customerEmail"
  FROM "WebhookEvent" e LEFT JOIN "Customer" c ON c.id = e."customerId"
 WHERE ($1::text IS NULL OR e."customerId" = $1)
   AND ($2::text IS NULL OR e."customerId" IN (SELECT id FROM "Customer" WHERE email = $2 UNION SELECT "customerId" FROM "EmailAlias" WHERE email = $2))
   AND ($3::text IS NULL OR e.type LIKE $3 ESCAPE '\\')
   AND ($4::"Provider" IS NULL OR e.provider = $4::"Provider")
   AND ($5::"EventOutcome" IS NULL OR e.outcome = $5::"EventOutcome")
   AND ($6::text IS NULL OR (e."receivedAt", e.id) < (SELECT "receivedAt", id FROM "WebhookEvent" WHERE id = $6))
 ORDER BY e."receivedAt" DESC, e.id DESC
 LIMIT $7::int`;

export async function listEvents(db: Database, filter: EventFilter): Promise<EventLogEntry[]> {
  type Row = Omit<EventLogEntry, "customer"> & { customerId: string | null; customerEmail: string | null };
  const rows = await db.sql<Row>(EVENTS_SQL, [
    filter.customerId ?? null,
    filter.email === undefined ? null : normalizeEmail(filter.email),
    filter.type === undefined ? null : likePrefix(filter.type),
    filter.provider ?? null,
    filter.outcome ?? null,
    filter.before ?? null,
    filter.limit,
  ]);
  return rows.map(({ customerId, customerEmail, ...event }) => ({
    ...event,
    customer: customerId === null || customerEmail === null ? null : { id: customerId, email: customerEmail },
  }));
}

export type EventReplayResult =
  | { ok: true; jobId: string; audit: AuditRow }
  | { ok: false; problem: "not_found" }
  /** Its apply job has not finished: a replay would only run beside it. */
  | { ok: false; problem: "pending" };

/**
 * Replays one stored event: marks it pending, enqueues a lifecycle.apply job for it with a
 * dedupe key of its own, and writes the audit row, in one transaction. The worker applies it
 * like a delivery. Refused (nothing written) for an unknown or still pending event.
 */
export async function replayStoredEvent(db: Database, ledgerId: string, by: { actor: Actor; reason: string }): Promise<EventReplayResult> {
  return db.transaction(async (tx) => {
    const target = await markEventForReplay(tx, ledgerId);
    if (!target) return { ok: false, problem: "not_found" };
    if (!target.marked) return { ok: false, problem: "pending" };
    const { jobId } = await enqueueEventReplay(tx, ledgerId, target.customerId);
    const audit = await writeAudit(tx, {
      actor: by.actor,
      action: "event.replay",
      reason: by.reason,
      customerId: target.customerId,
      correlationId: ledgerId,
      before: { outcome: target.outcome, error: target.error, processedAt: target.processedAt },
      after: { outcome: "pending", jobId },
    });
    return { ok: true, jobId, audit };
  });
}
