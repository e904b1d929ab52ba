import type { Database } from "../db";
import { JOB_PRIORITY } from "../jobs/queue";

// The idempotency ledger. Recording is one statement, so one round trip and atomic: the
// events go in (a duplicate (provider, eventId) is skipped) and each new event the lifecycle
// handles gets its apply job in the outbox. Deliveries that arrive while a write is in flight
// share the next statement (group commit), so under load one commit serves many events.

export interface LedgerEntry {
  provider: "stripe" | "kit";
  eventId: string;
  type: string;
  createdAt: Date;
  /** The provider's event as JSON text, stored whole: it is the replay source. */
  json: string;
  /** False for types we record but do not act on. */
  handled: boolean;
}

export const APPLY_JOB = "lifecycle.apply";

const RECORD_SQL = `
WITH input AS (
  SELECT e->>'v' AS provider, e->>'i' AS event_id, e->>'t' AS type, (e->>'c')::timestamptz AS created_at,
         e->'p' AS payload, (e->>'h')::boolean AS handled
    FROM jsonb_array_elements($1::jsonb) AS e
), inserted AS (
  INSERT INTO "WebhookEvent" (id, provider, "eventId", type, "providerCreatedAt", payload, outcome, "processedAt")
  SELECT gen_random_uuid(), provider::"Provider", event_id, type, created_at, payload,
         (CASE WHEN handled THEN 'pending' ELSE 'ignored' END)::"EventOutcome",
         CASE WHEN handled THEN NULL ELSE now() END
    FROM input
  ON CONFLICT (provider, "eventId") DO NOTHING
  RETURNING id, provider, "eventId", outcome
), jobs AS (
  INSERT INTO "Job" (id, kind, payload, "dedupeKey", priority, "runAt", "updatedAt")
  SELECT gen_random_uuid(), '${APPLY_JOB}', jsonb_build_object('ledgerId', id), '${APPLY_JOB}:' || provider || ':' || "eventId",
         ${JOB_PRIORITY[APPLY_JOB]}, now(), now()
    FROM inserted WHERE outcome = 'pending'
  ON CONFLICT ("dedupeKey") DO NOTHING
)
SELECT provider::text AS provider, "eventId" FROM inserted`;

const entryKey = (provider: string, eventId: string) => `${provider}\u0000${eventId}`;

/** One JSON array parameter; the event JSON goes in as it came, never re-serialised. */
function encode(entries: LedgerEntry[]): string {
  const items = entries.map(
    (entry) =>
      `{"v":${JSON.stringify(entry.provider)},"i":${JSON.stringify(entry.eventId)},"t":${JSON.stringify(entry.type)},` +
      `"c":${JSON.stringify(entry.createdAt.toISOString())},"h":${entry.handled},"p":${entry.json}}`,
  );
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
