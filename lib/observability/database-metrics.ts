import client from "prom-client";
import type { Database } from "../db";
import { CIRCLE_BUDGET, KIT_BUDGET, STRIPE_BUDGET, type BudgetLimits } from "../jobs/budget";
import { readHeartbeats } from "../jobs/heartbeat";
import type { JobKind } from "../jobs/kinds";
import { dueWork } from "../jobs/queue";
import { checkoutsWithAccessSql } from "./payment-to-access";

// The figures every instance reads from the database at scrape time, so any of them reports the
// shared truth whichever process did the work: the outbox by kind and status, dead letters, the
// queue's due depth and oldest age, workers' heartbeats, payments still waiting for access,
// revokes not yet carried out, payment to access over the last hour, and the request budgets.
// Built afresh on each scrape (a label that disappears from the database disappears here too).

/** The Stripe events that are payments: each should end in an entitlement within seconds. */
export const PAYMENT_EVENT_TYPES = ["checkout.session.completed", "checkout.session.async_payment_succeeded", "invoice.paid", "invoice_payment.paid"];
/** Upper edges, in seconds, of the payment-to-access buckets (+Inf added). */
export const PAYMENT_TO_ACCESS_EDGES = [1, 5, 15, 30, 60, 120, 300, 900, 3600];
/** A beat within this long counts a worker alive in `entitled_workers_alive`. */
export const ALIVE_WITHIN_MS = 90_000;
/** The published windows of each provider's budget (lib/jobs/budget.ts), by the budget key's provider prefix. */
const BUDGETS: Record<string, BudgetLimits> = { circle: CIRCLE_BUDGET, kit: KIT_BUDGET, stripe: STRIPE_BUDGET };

/** Every status a job can have: each is reported, zeros included. */
const JOB_STATUSES = ["queued", "running", "succeeded", "dead", "discarded"] as const;
const GRANT: JobKind = "circle.grant";
const REVOKE: JobKind = "circle.revoke";

// Jobs of kind $1 not carried out (queued, running or dead) whose access grant row still wants
// what they carry (same version) and is in one of the states $2: their number and the oldest's age.
const UNDONE_ACCESS_SQL = `
SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM (now() - min(j."createdAt"))), 0)::float8 AS "oldestSeconds"
  FROM "Job" j
  JOIN "AccessGrant" g ON g."customerId" = j.payload->>'customerId'
                      AND g."accessGroupId" = (j.payload->>'accessGroupId')::int
                      AND g.version = (j.payload->>'version')::int
 WHERE j.kind = $1 AND j.status IN ('queued', 'running', 'dead') AND g.state::text = ANY($2::text[])`;

// Payment events received ($1 types) and not yet applied to the record.
const UNAPPLIED_PAYMENTS_SQL = `
SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM (now() - min("receivedAt"))), 0)::float8 AS "oldestSeconds"
  FROM "WebhookEvent" WHERE outcome = 'pending' AND provider = 'stripe' AND type = ANY($1::text[])`;

// Checkouts received in the last hour, and for each the seconds until access; $1 the grant's kind.
const PAYMENT_TO_ACCESS_SQL = `
SELECT EXTRACT(EPOCH FROM ("accessAt" - "receivedAt"))::float8 AS seconds
  FROM (${checkoutsWithAccessSql(`e."receivedAt" > now() - interval '1 hour'`, "$1")}) AS checkouts`;

// Requests granted within each budget's window (its provider's, from $1), and how long a 429 still pauses it.
const BUDGETS_SQL = `
SELECT key, split_part(key, ':', 1) AS provider,
       (SELECT count(*)::int FROM unnest(recent) AS t
         WHERE t > now() - make_interval(secs => COALESCE(($1::jsonb ->> split_part(key, ':', 1))::float8, 0) / 1000)) AS used,
       GREATEST(0, COALESCE(EXTRACT(EPOCH FROM ("blockedUntil" - now())), 0))::float8 AS "pausedSeconds"
  FROM "ProviderBudget"`;

interface Undone extends Record<string, unknown> {
  count: number;
  oldestSeconds: number;
}

function gauge(registry: client.Registry, name: string, help: string, labelNames: string[] = []) {
  return new client.Gauge({ name, help, labelNames, registers: [registry] });
}

/** A scrape's reads, one statement each, by name (so `npm run bench:queue` can time them one by one). */
export function databaseMetricReads(db: Database) {
  const windows = Object.fromEntries(Object.entries(BUDGETS).map(([provider, limits]) => [provider, limits.windowMs]));
  return {
    jobs: () => db.sql<{ status: string; kind: string; count: number }>(`SELECT status::text AS status, kind, count(*)::int AS count FROM "Job" GROUP BY 1, 2`),
    due: () => dueWork(db),
    heartbeats: () => readHeartbeats(db, ALIVE_WITHIN_MS),
    grants: () => db.sql<Undone>(UNDONE_ACCESS_SQL, [GRANT, ["pending", "failed"]]),
    revokes: () => db.sql<Undone>(UNDONE_ACCESS_SQL, [REVOKE, ["revoked"]]),
    payments: () => db.sql<Undone>(UNAPPLIED_PAYMENTS_SQL, [PAYMENT_EVENT_TYPES]),
    purchases: () => db.sql<{ seconds: number | null }>(PAYMENT_TO_ACCESS_SQL, [GRANT]),
    budgets: () => db.sql<{ key: string; provider: string; used: number; pausedSeconds: number }>(BUDGETS_SQL, [JSON.stringify(windows)]),
  };
}

export async function collectDatabaseMetrics(db: Database): Promise<client.Registry> {
  const read = databaseMetricReads(db);
  const [jobs, due, heartbeats, [grants], [revokes], [payments], purchases, budgets] = await Promise.all([
    read.jobs(),
    read.due(),
    read.heartbeats(),
    read.grants(),
    read.revokes(),
    read.payments(),
    read.purchases(),
    read.budgets(),
  ]);
  const registry = new client.Registry();

  const byStatus = gauge(registry, "entitled_jobs", "Outbox jobs in the database, by status", ["status"]);
  for (const status of JOB_STATUSES) byStatus.set({ status }, jobs.filter((row) => row.status === status).reduce((sum, row) => sum + row.count, 0));
  const byKind = gauge(registry, "entitled_jobs_by_kind", "Outbox jobs in the database, by status and kind", ["status", "kind"]);
  for (const row of jobs) byKind.set({ status: row.status, kind: row.kind }, row.count);
  gauge(registry, "entitled_dead_letters", "Dead-lettered jobs waiting for a replay or a discard").set(jobs.filter((row) => row.status === "dead").reduce((sum, row) => sum + row.count, 0));
  gauge(registry, "entitled_queue_due_jobs", "Jobs due now and not being worked on (queued and due, or running with an expired lease)").set(due.count);
  gauge(registry, "entitled_queue_oldest_due_age_seconds", "How long the oldest due job has been waiting (0 when none is due)").set((due.oldestDueAgeMs ?? 0) / 1000);

  gauge(registry, "entitled_workers_alive", `Workers and drains whose heartbeat is under ${ALIVE_WITHIN_MS / 1000} s old`).set(heartbeats.fresh);
  if (heartbeats.freshestAgeSeconds !== null) {
    gauge(registry, "entitled_worker_heartbeat_age_seconds", "Seconds since the freshest worker or drain heartbeat").set(heartbeats.freshestAgeSeconds);
  }

  gauge(registry, "entitled_payment_events_unapplied", "Stripe payment events received and not yet applied to the record").set(payments?.count ?? 0);
  gauge(registry, "entitled_payment_events_unapplied_oldest_seconds", "Age of the oldest Stripe payment event not yet applied to the record (0 when none)").set(payments?.oldestSeconds ?? 0);
  gauge(registry, "entitled_access_grants_pending", "Circle grants the record wants and Circle does not have yet (grant job queued, running or dead)").set(grants?.count ?? 0);
  gauge(registry, "entitled_access_grants_pending_oldest_seconds", "Age of the oldest Circle grant not carried out (0 when none)").set(grants?.oldestSeconds ?? 0);
  gauge(registry, "entitled_access_revokes_pending", "Circle revokes the record decided (refund, dispute, expiry, an admin) and Circle has not carried out").set(revokes?.count ?? 0);
  gauge(registry, "entitled_access_revokes_pending_oldest_seconds", "Age of the oldest Circle revoke not carried out (0 when none)").set(revokes?.oldestSeconds ?? 0);

  const samples = purchases.flatMap((row) => (row.seconds === null ? [] : [Math.max(0, row.seconds)]));
  gauge(registry, "entitled_purchases_last_hour", "Checkouts received in the last hour").set(purchases.length);
  const buckets = gauge(registry, "entitled_payment_to_access_last_hour_seconds_bucket", "Checkouts of the last hour whose Circle grant succeeded, by seconds from the checkout reaching us to the grant (cumulative, as a histogram's buckets)", ["le"]);
  for (const edge of PAYMENT_TO_ACCESS_EDGES) buckets.set({ le: String(edge) }, samples.filter((seconds) => seconds <= edge).length);
  buckets.set({ le: "+Inf" }, samples.length);
  gauge(registry, "entitled_payment_to_access_last_hour_seconds_count", "Checkouts of the last hour whose Circle grant succeeded").set(samples.length);
  gauge(registry, "entitled_payment_to_access_last_hour_seconds_sum", "Sum of their seconds from checkout to access").set(samples.reduce((sum, seconds) => sum + seconds, 0));

  const used = gauge(registry, "entitled_provider_budget_used", "Requests taken from a provider's request budget within its window, by provider and budget (one per credential)", ["provider", "budget"]);
  const limit = gauge(registry, "entitled_provider_budget_limit", "Requests a provider's budget allows per window", ["provider", "budget"]);
  const paused = gauge(registry, "entitled_provider_budget_paused_seconds", "How long a provider's 429 still pauses every worker on that budget", ["provider", "budget"]);
  for (const row of budgets) {
    const limits = BUDGETS[row.provider];
    const labels = { provider: row.provider, budget: row.key.slice(row.provider.length + 1) };
    used.set(labels, row.used);
    if (limits) limit.set(labels, limits.limit);
    paused.set(labels, row.pausedSeconds);
  }
  return registry;
}
