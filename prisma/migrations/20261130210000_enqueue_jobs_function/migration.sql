-- The outbox's one insert path (lib/jobs/queue.ts `enqueue`; the ledger's and the record's
-- single-statement writes call it too, so a job is written in the same statement as the change
-- it serves). Rows are lib/jobs/kinds.ts `jobRow`s; a dedupe key already in the outbox is
-- skipped. Returns how many jobs were new. PL/pgSQL, so each session plans the INSERT once.
CREATE FUNCTION "enqueue_jobs"(jobs jsonb) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  inserted integer;
BEGIN
  INSERT INTO "Job" (id, kind, payload, "dedupeKey", priority, "runAt", "customerId", "journeyId", "maxAttempts", "updatedAt")
  SELECT gen_random_uuid(), j.kind, j.payload, j."dedupeKey", j.priority, j."runAt", j."customerId", j."journeyId", j."maxAttempts", now()
    FROM jsonb_to_recordset(COALESCE(jobs, '[]'::jsonb)) AS j(kind text, payload jsonb, "dedupeKey" text, priority int, "runAt" timestamp,
         "customerId" text, "journeyId" text, "maxAttempts" int)
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS inserted = ROW_COUNT;
  RETURN inserted;
END
$$;
