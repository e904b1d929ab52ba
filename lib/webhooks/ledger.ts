import type { Database } from "../db";

// The idempotency ledger. Recording a delivery is one statement, so one round trip and
// atomic: the events go in (a duplicate (provider, eventId) is skipped), and each new
// event the lifecycle handles gets its apply job in the outbox.

export interface LedgerEntry {
  eventId: string;
  type: string;
  createdAt: Date;
  /** The raw provider event, kept whole: it is the replay source. */
  payload: unknown;
  /** False for types we record but do not act on. */
  handled: boolean;
}

export const APPLY_JOB = "lifecycle.apply";

const RECORD_SQL = `
WITH input AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::boolean[])
    AS t(event_id, type, created_at, payload, handled)
), inserted AS (
  INSERT INTO "WebhookEvent" (id, provider, "eventId", type, "providerCreatedAt", payload, outcome, "processedAt")
  SELECT gen_random_uuid(), $1::"Provider", event_id, type, created_at, payload::jsonb,
         (CASE WHEN handled THEN 'pending' ELSE 'ignored' END)::"EventOutcome",
         CASE WHEN handled THEN NULL ELSE now() END
    FROM input
  ON CONFLICT (provider, "eventId") DO NOTHING
  RETURNING id, "eventId", outcome
), jobs AS (
  INSERT INTO "Job" (id, kind, payload, "dedupeKey", "runAt", "updatedAt")
  SELECT gen_random_uuid(), '${APPLY_JOB}', jsonb_build_object('ledgerId', id), '${APPLY_JOB}:' || $1 || ':' || "eventId", now(), now()
    FROM inserted WHERE outcome = 'pending'
  ON CONFLICT ("dedupeKey") DO NOTHING
)
SELECT "eventId" FROM inserted`;

/** Records events; returns the ids that were new (the rest were duplicates). */
export async function recordEvents(db: Database, provider: "stripe" | "kit", entries: LedgerEntry[]): Promise<Set<string>> {
  const rows = await db.sql<{ eventId: string }>(RECORD_SQL, [
    provider,
    entries.map((entry) => entry.eventId),
    entries.map((entry) => entry.type),
    entries.map((entry) => entry.createdAt.toISOString()),
    entries.map((entry) => JSON.stringify(entry.payload)),
    entries.map((entry) => entry.handled),
  ]);
  return new Set(rows.map((row) => row.eventId));
}
