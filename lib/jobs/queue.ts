import crypto from "node:crypto";
import type { Database, Session } from "../db";
import { jobRow, prioritiesOnlyOf, type JobKind, type JobRow } from "./kinds";

// The outbox, the only writer of the Job table. Jobs are written in the same transaction as
// the state change they serve, keyed by a deterministic dedupe key, and claimed with FOR
// UPDATE SKIP LOCKED under a lease: a worker that dies mid-job loses its lease and another
// worker runs the job again, which is safe because every handler checks before it acts.
// Every insert goes through the `enqueue_jobs` SQL function (see the migrations): this
// module calls it, and so do the ledger's and the record's single-statement writes.

export interface ClaimedJob {
  id: string;
  /** A kind this version does not know is given up on by the worker. */
  kind: string;
  payload: unknown;
  dedupeKey: string;
  attempts: number;
  maxAttempts: number;
  /** Claims of this job whose lease ran out before they were settled. */
  leasesLost: number;
  customerId: string | null;
}

/** One entry of a job's `failures`: when, on which attempt, and the error (cut to 500 characters). */
export interface JobFailure {
  at: string;
  attempt: number;
  error: string;
}

/** Enqueues unless a job with the same dedupe key exists; returns how many were new. */
export async function enqueue(session: Session, jobs: JobRow[]): Promise<number> {
  if (jobs.length === 0) return 0;
  const [row] = await session.sql<{ inserted: number }>(`SELECT enqueue_jobs($1::jsonb) AS inserted`, [JSON.stringify(jobs)], { prepare: "job_enqueue" });
  return row?.inserted ?? 0;
}

/**
 * Marks done the dead apply jobs of events that waited for their customer and were applied
 * once an event identified them (the fold that adopted them applied them).
 */
export async function settleAdoptedApplyJobs(session: Session, ledgerIds: string[], customerId: string): Promise<void> {
  if (ledgerIds.length === 0) return;
  const kind: JobKind = "lifecycle.apply";
  await session.sql(
    `UPDATE "Job" SET status = 'succeeded', "lastError" = 'applied once its customer was identified', "customerId" = $3, "updatedAt" = now()
      WHERE kind = $1 AND payload->>'ledgerId' = ANY($2::text[]) AND status = 'dead' RETURNING id`,
    [kind, ledgerIds, customerId],
  );
}

/**
 * Claims due jobs, except those of `pausedProviders` (kinds "<provider>.*"), whose request
 * budget is known to be spent.
 *
 * Order: `runAt` plus the kind's priority in seconds. Strict priority order let a backlog of
 * event applies starve every side effect (paid customers waited for access until the last
 * apply of a launch burst was done); as a head start, applies still run before the side
 * effects they cause, and a side effect waits at most its head start behind newer applies.
 * The candidates are read from the (status, priority, runAt) index: the oldest due jobs of each
 * priority present (a loose index scan finds them), and the running jobs whose lease ran out.
 * A priority whose kinds are all paused is not read at all: with Circle's or Kit's budget spent,
 * thousands of their due jobs would otherwise be read past on every claim.
 * The candidates are then locked by id alone. Their status is re-checked (a concurrent claim
 * may have taken one) as text, so that the planner cannot read the status index for it: with
 * statistics lagging a fast-growing outbox, it did, and every claim read all due jobs (74 ms
 * against 10 ms by id under a 23,000-job backlog, in bench:queue's database).
 *
 * A job whose lease ran out is claimed again without spending an attempt (its worker died or
 * hung; the job did not fail) and counts a lost lease instead, which the worker caps.
 */
export async function claimJobs(db: Database, workerId: string, limit: number, leaseMs: number, pausedProviders: string[] = []): Promise<ClaimedJob[]> {
  return db.sql<ClaimedJob & Record<string, unknown>>(CLAIM_JOBS_SQL, claimJobsParams(workerId, limit, leaseMs, pausedProviders), { prepare: "job_claim" });
}

/** The claim statement and its parameters, apart so that its plan can be read (EXPLAIN) by the tests. */
export const CLAIM_JOBS_SQL = `WITH RECURSIVE classes AS (
   (SELECT priority FROM "Job" WHERE status = 'queued' ORDER BY priority LIMIT 1)
   UNION ALL
   SELECT (SELECT priority FROM "Job" WHERE status = 'queued' AND priority > classes.priority ORDER BY priority LIMIT 1)
     FROM classes WHERE classes.priority IS NOT NULL),
 candidates AS (
   SELECT head.id FROM (SELECT priority FROM classes WHERE priority <> ALL($5::int[])) AS open_classes CROSS JOIN LATERAL (
     SELECT id FROM "Job"
      WHERE status = 'queued' AND priority = open_classes.priority AND "runAt" <= now() AND split_part(kind, '.', 1) <> ALL($4::text[])
      ORDER BY "runAt" LIMIT $3 * 4) AS head
   UNION ALL
   SELECT id FROM "Job" WHERE status = 'running' AND "leaseUntil" < now() AND split_part(kind, '.', 1) <> ALL($4::text[]))
 UPDATE "Job" SET status = 'running', "lockedBy" = $1,
    attempts = attempts + CASE WHEN status = 'running' THEN 0 ELSE 1 END,
    "leasesLost" = "leasesLost" + CASE WHEN status = 'running' THEN 1 ELSE 0 END,
    failures = CASE WHEN status = 'running' THEN job_failure_appended(failures, attempts, 'its lease ran out before ' || COALESCE("lockedBy", 'its worker') || ' settled it') ELSE failures END,
    "leaseUntil" = now() + make_interval(secs => $2::double precision / 1000), "updatedAt" = now()
  WHERE id IN (
    SELECT id FROM "Job"
     WHERE id = ANY(ARRAY(SELECT id FROM candidates))
       AND ((status::text = 'queued' AND "runAt" <= now()) OR (status::text = 'running' AND "leaseUntil" < now()))
     ORDER BY "runAt" + make_interval(secs => priority)
     LIMIT $3
     FOR UPDATE SKIP LOCKED)
  RETURNING id, kind, payload, "dedupeKey", attempts, "maxAttempts", "leasesLost", "customerId"`;

export const claimJobsParams = (workerId: string, limit: number, leaseMs: number, pausedProviders: string[]) => [
  workerId,
  leaseMs,
  limit,
  pausedProviders,
  prioritiesOnlyOf(pausedProviders),
];

/** Queued or running jobs of a kind whose payload contains `match`, due now or within `withinMs`, in dedupe-key order. */
export async function dueJobs(db: Database, kind: JobKind, match: Record<string, unknown>, withinMs: number): Promise<Array<{ dedupeKey: string; payload: unknown }>> {
  return db.sql<{ dedupeKey: string; payload: unknown }>(
    `SELECT "dedupeKey", payload FROM "Job"
      WHERE kind = $1 AND status IN ('queued', 'running') AND payload @> $2::jsonb AND "runAt" <= now() + make_interval(secs => $3::float8 / 1000)
      ORDER BY "dedupeKey"`,
    [kind, JSON.stringify(match), withinMs],
  );
}

/** Whether a job with this dedupe key was ever enqueued. */
export async function jobExists(db: Database, dedupeKey: string): Promise<boolean> {
  const rows = await db.sql(`SELECT 1 FROM "Job" WHERE "dedupeKey" = $1`, [dedupeKey]);
  return rows.length > 0;
}

export interface DueWork {
  /** Jobs a runner could claim now: queued and due, or running past their lease. */
  count: number;
  /** How long the oldest of them has been due; null when none is. */
  oldestDueAgeMs: number | null;
}

/** What is due and unclaimed now (the claim's own condition, without its paused providers). */
export async function dueWork(db: Database): Promise<DueWork> {
  const [row] = await db.sql<{ count: number; oldestDueAgeMs: number | null }>(
    `SELECT count(*)::int AS count, round(EXTRACT(EPOCH FROM (now() - min("runAt"))) * 1000)::float8 AS "oldestDueAgeMs"
       FROM "Job" WHERE (status = 'queued' AND "runAt" <= now()) OR (status = 'running' AND "leaseUntil" < now())`,
  );
  return { count: row?.count ?? 0, oldestDueAgeMs: row?.oldestDueAgeMs ?? null };
}

/**
 * Deletes up to `limit` jobs that succeeded or were discarded before `before` (by their last
 * change: an adopted apply job succeeds without a finish time); how many went. Dead, queued and
 * running jobs are never deleted here.
 */
export async function deleteFinishedJobs(db: Database, before: Date, limit: number): Promise<number> {
  const [row] = await db.sql<{ deleted: number }>(
    `WITH gone AS (
       DELETE FROM "Job" WHERE id IN (
         SELECT id FROM "Job" WHERE status IN ('succeeded', 'discarded') AND "updatedAt" < $1 ORDER BY "updatedAt" LIMIT $2)
       RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [before, limit],
  );
  return row?.deleted ?? 0;
}

/** Marks a job done; false if this worker no longer held it (its lease ran out). */
export async function completeJob(db: Database, jobId: string, workerId: string): Promise<boolean> {
  const rows = await db.sql(
    `UPDATE "Job" SET status = 'succeeded', "finishedAt" = now(), "leaseUntil" = NULL, "lastError" = NULL, "updatedAt" = now()
      WHERE id = $1 AND "lockedBy" = $2 AND status = 'running' RETURNING id`,
    [jobId, workerId],
    { prepare: "job_complete" },
  );
  return rows.length > 0;
}

/**
 * Puts a failed attempt back in the queue for `runAt`; false if this worker no longer held it.
 * The failure is added to the job's history (`failures`), except a refunded attempt's (a wait
 * for our own request budget is not a failure, and would push the real ones out of the ten kept).
 */
export async function rescheduleJob(
  db: Database,
  jobId: string,
  workerId: string,
  runAt: Date,
  lastError: string,
  options: { refundAttempt?: boolean } = {},
): Promise<boolean> {
  const rows = await db.sql(
    `UPDATE "Job" SET status = 'queued', "runAt" = $3, "leaseUntil" = NULL, "lockedBy" = NULL, "lastError" = $4,
        failures = CASE WHEN $5::int = 0 THEN job_failure_appended(failures, attempts, $4) ELSE failures END,
        attempts = attempts - $5, "updatedAt" = now()
      WHERE id = $1 AND "lockedBy" = $2 AND status = 'running' RETURNING id`,
    [jobId, workerId, runAt, lastError.slice(0, 2000), options.refundAttempt ? 1 : 0],
    { prepare: "job_reschedule" },
  );
  return rows.length > 0;
}

/** Gives up on a job (it stays, dead, for an admin's replay or discard), its last failure added to its history. */
export async function deadLetterJob(db: Database, jobId: string, workerId: string, lastError: string): Promise<boolean> {
  const rows = await db.sql(
    `UPDATE "Job" SET status = 'dead', "finishedAt" = now(), "leaseUntil" = NULL, "lastError" = $3,
        failures = job_failure_appended(failures, attempts, $3), "updatedAt" = now()
      WHERE id = $1 AND "lockedBy" = $2 AND status = 'running' RETURNING id`,
    [jobId, workerId, lastError.slice(0, 2000)],
  );
  return rows.length > 0;
}

/**
 * Moves every queued job of one provider (kinds "<provider>.*") to when its request budget
 * reopens, so an exhausted budget costs one claim, not one per waiting job.
 */
export async function deferProviderJobs(db: Database, provider: string, until: Date): Promise<number> {
  // Rows are locked in id order and those another transaction holds are skipped: two workers
  // deferring the same provider at once used to lock overlapping rows in different orders and
  // deadlock. A skipped row is being claimed or deferred by the other one already.
  // Counted in the database: a launch's backlog is a hundred thousand ids, which the worker would
  // otherwise receive at every deferral.
  const [row] = await db.sql<{ deferred: number }>(
    `WITH due AS (
       SELECT id FROM "Job" WHERE status = 'queued' AND kind LIKE $1 AND "runAt" < $2 ORDER BY id FOR UPDATE SKIP LOCKED),
     deferred AS (
       UPDATE "Job" SET "runAt" = $2, "updatedAt" = now() FROM due WHERE "Job".id = due.id RETURNING 1)
     SELECT count(*)::int AS deferred FROM deferred`,
    [`${provider}.%`, until],
  );
  return row?.deferred ?? 0;
}

export type ReplayOutcome = { replayed: true; kind: string } | { replayed: false; status: string | null };

/**
 * Puts a dead job back in the queue with a fresh attempt budget (admin replay), and writes the
 * audit row in the same statement: a replay without its audit record cannot happen. A job that
 * is not dead is left as it is; `status` says what it is (null: no such job).
 */
export async function replayDeadJob(db: Database, jobId: string, audit: { actor: string; reason: string }): Promise<ReplayOutcome> {
  const [row] = await db.sql<{ status: string; kind: string; replayed: boolean }>(
    `WITH target AS (
       SELECT id, kind, status::text AS status, attempts, "lastError", "customerId" FROM "Job" WHERE id = $1 FOR UPDATE),
     replayed AS (
       UPDATE "Job" SET status = 'queued', attempts = 0, "runAt" = now(), "finishedAt" = NULL, "leaseUntil" = NULL,
              "lockedBy" = NULL, "updatedAt" = now()
         FROM target WHERE "Job".id = target.id AND target.status = 'dead' RETURNING "Job".id),
     audited AS (
       INSERT INTO "AuditLog" (id, actor, action, reason, before, after, "correlationId", "customerId")
       SELECT gen_random_uuid(), $2, 'job.replay', $3,
              jsonb_build_object('status', 'dead', 'kind', kind, 'attempts', attempts, 'lastError', "lastError"),
              jsonb_build_object('status', 'queued', 'attempts', 0), id, "customerId"
         FROM target WHERE id IN (SELECT id FROM replayed) RETURNING id)
     SELECT status, kind, EXISTS (SELECT 1 FROM audited) AS replayed FROM target`,
    [jobId, audit.actor, audit.reason],
  );
  if (!row) return { replayed: false, status: null };
  return row.replayed ? { replayed: true, kind: row.kind } : { replayed: false, status: row.status };
}

export interface DeadJob {
  id: string;
  kind: string;
  attempts: number;
  lastError: string | null;
  customerId: string | null;
}

export type DiscardOutcome = { discarded: true; job: DeadJob } | { discarded: false; status: string | null };

/**
 * Sets a dead job aside for good (an admin chose not to replay it), inside the caller's
 * transaction, which writes the audit row. When it died stays its `finishedAt`. A job that is
 * not dead is left as it is; `status` says what it is (null: no such job).
 */
export async function discardDeadJob(tx: Session, jobId: string): Promise<DiscardOutcome> {
  const [row] = await tx.sql<DeadJob & { status: string; discarded: boolean } & Record<string, unknown>>(
    `WITH target AS (
       SELECT id, kind, status::text AS status, attempts, "lastError", "customerId" FROM "Job" WHERE id = $1 FOR UPDATE),
     discarded AS (
       UPDATE "Job" SET status = 'discarded', "leaseUntil" = NULL, "lockedBy" = NULL, "updatedAt" = now()
         FROM target WHERE "Job".id = target.id AND target.status = 'dead' RETURNING "Job".id)
     SELECT id, kind, status, attempts, "lastError", "customerId", EXISTS (SELECT 1 FROM discarded) AS discarded FROM target`,
    [jobId],
  );
  if (!row) return { discarded: false, status: null };
  if (!row.discarded) return { discarded: false, status: row.status };
  return { discarded: true, job: { id: row.id, kind: row.kind, attempts: row.attempts, lastError: row.lastError, customerId: row.customerId } };
}

/**
 * Enqueues an admin's replay of one stored webhook event, inside the caller's transaction: a
 * `lifecycle.apply` job with a dedupe key of its own (the delivery's job keeps its key), so a
 * replay runs even when the delivery's job has long finished. Returns the new job's id.
 */
export async function enqueueEventReplay(tx: Session, ledgerId: string, customerId: string | null): Promise<{ jobId: string; dedupeKey: string }> {
  const job = jobRow("lifecycle.apply", { ledgerId, replay: crypto.randomUUID() }, { customerId });
  await enqueue(tx, [job]);
  const [row] = await tx.sql<{ id: string }>(`SELECT id FROM "Job" WHERE "dedupeKey" = $1`, [job.dedupeKey]);
  if (!row) throw new Error("the replay job was not enqueued");
  return { jobId: row.id, dedupeKey: job.dedupeKey };
}

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 1_000, capMs: 10 * 60_000 };

/**
 * Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1),
 * capped, so retries spread out but never come back at once. A provider's Retry-After is a
 * floor, never shortened.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, retryAfterMs: number | null, random = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}
