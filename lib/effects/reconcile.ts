import type { Database } from "../db";
import type { JobHandlers } from "../jobs/worker";
import { log } from "../log";
import { reconcile, type ReconcilerDeps } from "../reconcile/run";
import { scheduleReconcile } from "../reconcile/schedule";

// The scheduled reconciliation: a real run (the policy acts), its summary logged (counts and
// ids only), then the next slot scheduled. Without a reconciler (no provider configured) it
// only keeps the schedule.

export function createReconcileHandler(db: Database, reconciler: ReconcilerDeps | null, intervalMs: number): Pick<JobHandlers, "reconcile.run"> {
  return {
    "reconcile.run": {
      async run() {
        if (reconciler) {
          const report = await reconcile(reconciler, { dryRun: false });
          const stopped = Object.entries(report.providers).flatMap(([provider, status]) => (status.status === "stopped" ? [{ provider, reason: status.reason }] : []));
          log.info({ found: report.found, outcomes: report.outcomes, providers: report.providers }, "reconciliation done");
          for (const entry of stopped) log.warn(entry, "reconciliation stopped early: its request share is spent");
        }
        await scheduleReconcile(db, intervalMs);
      },
    },
  };
}
