-- Each failed attempt of a job, newest last, at most ten (lib/jobs/queue.ts): "lastError" keeps
-- only the latest, so a job that failed differently on each try (timeouts, then a lost lease, then
-- a 422) could not be diagnosed once it was dead. Expand only: a column with a constant default
-- (no table rewrite) and a function the outbox's statements call.
ALTER TABLE "Job" ADD COLUMN "failures" JSONB NOT NULL DEFAULT '[]';

-- The history with one more failure at the end, its error cut to 500 characters, keeping the last ten.
CREATE FUNCTION job_failure_appended(history jsonb, attempt integer, error text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT COALESCE(jsonb_agg(item.entry ORDER BY item.position), '[]'::jsonb)
    FROM jsonb_array_elements(history || jsonb_build_array(jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'attempt', attempt, 'error', left(error, 500))))
         WITH ORDINALITY AS item(entry, position)
   WHERE item.position > jsonb_array_length(history) + 1 - 10
$$;
