import crypto from "node:crypto";
import type { Database } from "../db";
import { jobRow } from "../jobs/kinds";

// The idempotency ledger. Recording is one statement, so one round trip and atomic: the
// events go in (a duplicate (provider, eventId) is skipped) and each new event the lifecycle
// handles gets its apply job in the outbox. Deliveries that arrive while a write is in flight
// share the next statement (group commit), so under load one commit serves many events.

export interface LedgerEntry {
  /** The row's id; unset: a fresh one. (A Stripe delivery passes its correlation id.) */
  id?: string;
  provider: "stripe" | "kit";
  eventId: string;
  type: string;
  createdAt: Date;
  /** The provider's event as JSON text, stored whole: it is the replay source. */
  json: string;
  /** False for types we record but do not act on. */
  handled: boolean;
}

// Each new event the lifecycle handles gets its apply job through the outbox's enqueue_jobs,
// in the same statement; the row ids are made here so the jobs can name them.
const RECORD_SQL = `
WITH input AS (
  SELECT e->>'r' AS id, e->>'v' AS provider, e->>'i' AS event_id, e->>'t' AS type, (e->>'c')::timestamptz AS created_at,
         e->'p' AS payload, NULLIF(e->'j', 'null'::jsonb) AS job
    FROM jsonb_array_elements($1::jsonb) AS e
), inserted AS (
  INSERT INTO "WebhookEvent" (id, provider, "eventId", type, "providerCreatedAt", payload, outcome, "processedAt")
  SELECT id, provider::"Provider", event_id, type, created_at, payload,
         (CASE WHEN job IS NOT NULL THEN 'pending' ELSE 'ignored' END)::"EventOutcome",
         CASE WHEN job IS NOT NULL THEN NULL ELSE now() END
    FROM input
  ON CONFLICT (provider, "eventId") DO NOTHING
  RETURNING id, provider, "eventId"
), jobs AS (
  SELECT enqueue_jobs(jsonb_agg(input.job)) AS enqueued FROM inserted JOIN input ON input.id = inserted.id WHERE input.job IS NOT NULL
)
SELECT provider::text AS provider, "eventId", (SELECT enqueued FROM jobs) AS enqueued FROM inserted`;

const entryKey = (provider: string, eventId: string) => `${provider}\u0000${eventId}`;

/** One JSON array parameter; the event JSON goes in as it came, never re-serialised. */
function encode(entries: LedgerEntry[]): string {
  const items = entries.map((entry) => {
    const ledgerId = entry.id ?? crypto.randomUUID();
    const job = entry.handled ? JSON.stringify(jobRow("lifecycle.apply", { ledgerId })) : "null";
    return (
      `{"r":"${ledgerId}","v":${JSON.stringify(entry.provider)},"i":${JSON.stringify(entry.eventId)},"t":${JSON.stringify(entry.type)},` +
      `"c":${JSON.stringify(entry.createdAt.toISOString())},"j":${job},"p":${entry.json}}`
    );
  });
  return `[${items.join(",")}]`;
}

/** Records entries in one statement; returns a flag per entry: true where it was new. */
export async function recordEvents(db: Database, entries: LedgerEntry[]): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const rows = await db.sql<{ provider: string; eventId: string }>(RECORD_SQL, [encode(entries)], { prepare: "ledger_record" });
  const fresh = new Set(rows.map((row) => entryKey(row.provider, row.eventId)));
  // The same event twice in one statement is inserted once: only its first entry is new.
  return entries.map((entry) => fresh.delete(entryKey(entry.provider, entry.eventId)));
}

export interface LedgerWriter {
  record(entries: LedgerEntry[]): Promise<boolean[]>;
}

interface Waiting {
  entries: LedgerEntry[];
  resolve: (fresh: boolean[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: at most `maxInFlight` statements at a time; deliveries that arrive meanwhile
 * wait and go together in the next one. A lone delivery is written at once.
 */
export function createLedgerWriter(db: Database, options: { maxInFlight?: number; maxBatch?: number } = {}): LedgerWriter {
  const maxInFlight = options.maxInFlight ?? 4;
  const maxBatch = options.maxBatch ?? 64;
  const queue: Waiting[] = [];
  let inFlight = 0;

  function pump() {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      inFlight += 1;
      recordEvents(db, batch.flatMap((waiting) => waiting.entries))
        .then((fresh) => {
          let offset = 0;
          for (const waiting of batch) {
            waiting.resolve(fresh.slice(offset, offset + waiting.entries.length));
            offset += waiting.entries.length;
          }
        })
        .catch((error: unknown) => batch.forEach((waiting) => waiting.reject(error)))
        .finally(() => {
          inFlight -= 1;
          pump();
        });
    }
  }

  return {
    record(entries) {
      return new Promise((resolve, reject) => {
        queue.push({ entries, resolve, reject });
        pump();
      });
    },
  };
}
