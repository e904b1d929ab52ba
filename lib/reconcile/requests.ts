import type { Database, Session } from "../db";
import { jobRow } from "../jobs/kinds";
import { enqueue } from "../jobs/queue";
import type { ReconcileProvider } from "./classify";
import type { ReconcileReport } from "./run";

// Reconciliations asked for by a person (the console's buttons, POST /api/admin/reconcile): the
// only writer of ReconcileRun. The request records the run and its `reconcile.requested` job in
// the caller's transaction; the worker runs it (minutes on a big community, longer than an HTTP
// request may take on a serverless host) and keeps the report here for the console to read.
// One at a time: while a run's job is queued or running, a new request gets that run instead.

export type ReconcileRunStatus = "queued" | "running" | "done" | "failed";

export interface ReconcileRunView {
  id: string;
  /** Who asked, as the audit log names them. */
  actor: string;
  dryRun: boolean;
  /** The providers asked for; empty: all of them. */
  providers: ReconcileProvider[];
  status: ReconcileRunStatus;
  report: ReconcileReport | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const ERROR_MAX = 500;

/** Why a run cannot be asked for, or fails in a worker: no provider to compare with. */
export const NO_PROVIDER_CONFIGURED = "no provider is configured: set CIRCLE_API_TOKEN, KIT_API_KEY or STRIPE_SECRET_KEY";

// A run's status: its own outcome once finished, else its job's (found by the kind's dedupe key,
// lib/jobs/kinds.ts). A job the worker gave up on
// (its lease lost too often) leaves the run unfinished: it is failed, with the job's last error.
const RUN_SQL = `
SELECT r.id, r.actor, r."dryRun", r.providers, r.report, r."createdAt", r."startedAt", r."finishedAt",
       CASE WHEN r."finishedAt" IS NOT NULL THEN CASE WHEN r.error IS NULL THEN 'done' ELSE 'failed' END
            WHEN j.status::text = 'queued' AND r."startedAt" IS NULL THEN 'queued'
            WHEN j.status::text IN ('queued', 'running') THEN 'running'
            ELSE 'failed' END AS status,
       COALESCE(r.error, CASE WHEN r."finishedAt" IS NULL AND j.status::text NOT IN ('queued', 'running') THEN 'the worker gave the run up: ' || COALESCE(j."lastError", 'no reason recorded') END) AS error
  FROM "ReconcileRun" r LEFT JOIN "Job" j ON j."dedupeKey" = 'reconcile.requested:' || r.id`;

/** One run, or null when there is none with that id. */
export async function readReconcileRun(session: Session, id: string): Promise<ReconcileRunView | null> {
  const [row] = await session.sql<ReconcileRunView & Record<string, unknown>>(`${RUN_SQL} WHERE r.id = $1`, [id]);
  return row ?? null;
}

/**
 * Records a run and enqueues its job, in the caller's transaction, unless a run is already queued
 * or running: then nothing is written and that run's id comes back with `created: false`. A
 * transaction-level lock keeps two requests at once from both starting one.
 */
export async function requestReconcileRun(
  tx: Session,
  request: { actor: string; dryRun: boolean; providers: readonly ReconcileProvider[] },
): Promise<{ id: string; created: boolean }> {
  await tx.sql(`SELECT pg_advisory_xact_lock(hashtextextended('reconcile.requested', 0))::text`);
  const [inProgress] = await tx.sql<{ id: string }>(`SELECT id FROM (${RUN_SQL}) AS runs WHERE status IN ('queued', 'running') ORDER BY "createdAt" LIMIT 1`);
  if (inProgress) return { id: inProgress.id, created: false };
  const [run] = await tx.sql<{ id: string }>(
    `INSERT INTO "ReconcileRun" (id, actor, "dryRun", providers) VALUES (gen_random_uuid(), $1, $2, $3::text[]) RETURNING id`,
    [request.actor, request.dryRun, [...request.providers]],
  );
  if (!run) throw new Error("the reconciliation run was not recorded");
  await enqueue(tx, [jobRow("reconcile.requested", { runId: run.id }, { maxAttempts: 3 })]);
  return { id: run.id, created: true };
}

/**
 * The worker takes the run up (again, after a lost lease: the time is the latest start): what to
 * run, or null when there is no such run or it already finished.
 */
export async function startRun(db: Database, id: string): Promise<Pick<ReconcileRunView, "dryRun" | "providers"> | null> {
  const [run] = await db.sql<Pick<ReconcileRunView, "dryRun" | "providers">>(
    `UPDATE "ReconcileRun" SET "startedAt" = now() WHERE id = $1 AND "finishedAt" IS NULL RETURNING "dryRun", providers`,
    [id],
  );
  return run ?? null;
}

export async function recordRunReport(db: Database, id: string, report: ReconcileReport): Promise<void> {
  await db.sql(`UPDATE "ReconcileRun" SET report = $2::jsonb, "finishedAt" = now() WHERE id = $1 AND "finishedAt" IS NULL`, [id, JSON.stringify(report)]);
}

export async function recordRunFailure(db: Database, id: string, error: string): Promise<void> {
  await db.sql(`UPDATE "ReconcileRun" SET error = $2, "finishedAt" = now() WHERE id = $1 AND "finishedAt" IS NULL`, [id, error.slice(0, ERROR_MAX)]);
}
