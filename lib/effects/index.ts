import type { Database } from "../db";
import type { CircleClient } from "../integrations/circle";
import type { KitClient } from "../integrations/kit";
import type { RequestBudget } from "../jobs/budget";
import { JobFailure } from "../jobs/errors";
import { DEFAULT_JOB_RETENTION_DAYS } from "../config";
import { pruneFinishedJobs, schedulePrune } from "../jobs/retention";
import type { JobHandlers } from "../jobs/worker";
import type { PlanCatalog } from "../lifecycle/catalog";
import { log } from "../log";
import { applyWebhookEvent, recheckCustomer } from "../record/apply";
import { markEventFailed } from "../record/store";
import { createCircleHandlers } from "./circle";
import { createKitHandlers } from "./kit";
import { createInvitationHandlers } from "./invitations";
import { createProviderCall } from "./provider-call";
import { createReconcileHandler } from "./reconcile";
import type { ReconcilerDeps } from "../reconcile/run";

// What the worker does for each job kind (the kinds themselves, with their payloads, are in
// lib/jobs/kinds.ts). Each handler checks before it acts: a job whose row has moved on to a
// newer version does nothing, and each provider call is idempotent, so running a job twice (a
// retry after a timeout that did succeed, a worker killed mid-job) changes nothing.

export interface EffectDeps {
  db: Database;
  catalog: PlanCatalog;
  circle: CircleClient;
  kit: KitClient;
  circleBudget: RequestBudget;
  kitBudget: RequestBudget;
  /** How long to pause on a 429 without Retry-After (Kit sends none): its one-minute window. */
  defaultRateLimitPauseMs?: number;
  /** The Circle client invitation checks use: its requests come from the background share (default: `circle`). */
  circleBackground?: CircleClient;
  /** The reconciler the scheduled `reconcile.run` jobs run; null: the schedule is kept, nothing is read. */
  reconciler?: ReconcilerDeps | null;
  /** How often the worker reconciles (0: it does not schedule a next run). */
  reconcileIntervalMs?: number;
  /** Days a finished job stays in the outbox (lib/jobs/retention.ts; default 30). */
  jobRetentionDays?: number;
}

/** Expected (Stripe delivers out of order), not a failure: retried, and logged at info. */
const waitingForCustomer = () =>
  new JobFailure("waiting for the event that identifies the customer", { next: "retry", retryAfterMs: null, expected: true });

export function createHandlers(deps: EffectDeps): JobHandlers {
  const { db, catalog } = deps;
  const pauseMs = deps.defaultRateLimitPauseMs ?? 60_000;
  return {
    "lifecycle.apply": {
      async run({ ledgerId }) {
        const result = await applyWebhookEvent(db, catalog, ledgerId);
        if (result.outcome === "waiting") throw waitingForCustomer();
      },
      async onDead({ ledgerId }, error) {
        await markEventFailed(db, ledgerId, error);
      },
    },
    "lifecycle.recheck": {
      async run({ customerId }) {
        await recheckCustomer(db, catalog, customerId);
      },
    },
    ...createCircleHandlers(db, deps.circle, createProviderCall(deps.circleBudget, pauseMs)),
    ...createKitHandlers(db, deps.kit, createProviderCall(deps.kitBudget, pauseMs)),
    ...createInvitationHandlers(db, deps.circleBackground ?? deps.circle, createProviderCall(deps.circleBudget, pauseMs)),
    ...createReconcileHandler(db, deps.reconciler ?? null, deps.reconcileIntervalMs ?? 0),
    "jobs.prune": {
      async run() {
        const retentionDays = deps.jobRetentionDays ?? DEFAULT_JOB_RETENTION_DAYS;
        const deleted = await pruneFinishedJobs(db, retentionDays);
        if (deleted > 0) log.info({ deleted, retentionDays }, "finished jobs pruned");
        await schedulePrune(db);
      },
    },
  };
}
