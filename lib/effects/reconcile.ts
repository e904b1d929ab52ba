import type { Database } from "../db";
import type { JobHandlers } from "../jobs/worker";
import { log } from "../log";
import { NO_PROVIDER_CONFIGURED, recordRunFailure, recordRunReport, startRun } from "../reconcile/requests";
import { reconcile, type ReconcilerDeps } from "../reconcile/run";
import { scheduleReconcile } from "../reconcile/schedule";

// The scheduled reconciliation: a real run (the policy acts), its summary logged (counts and
// ids only), then the next slot scheduled. Without a reconciler (no provider configured) it
// only keeps the schedule.
//
// A requested one (the console, the admin API): the run its row describes, the report kept in
// the row. A run that throws is recorded as failed with the reason and not retried: the person
// who asked sees why and asks again, rather than waiting through retries of a run that may take
// minutes each.

export function createReconcileHandler(db: Database, reconciler: ReconcilerDeps | null, intervalMs: number): Pick<JobHandlers, "reconcile.run" | "reconcile.requested"> {
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
    "reconcile.requested": {
      async run({ runId }) {
        const run = await startRun(db, runId);
        if (!run) return;
        if (!reconciler) {
          await recordRunFailure(db, runId, NO_PROVIDER_CONFIGURED);
          return;
        }
        try {
          const report = await reconcile(reconciler, { dryRun: run.dryRun, providers: run.providers.length > 0 ? run.providers : undefined });
          await recordRunReport(db, runId, report);
          log.info({ runId, dryRun: run.dryRun, found: report.found, outcomes: report.outcomes }, "requested reconciliation done");
        } catch (error) {
          log.error({ runId, err: (error as Error).message }, "requested reconciliation failed");
          await recordRunFailure(db, runId, `the reconciliation failed: ${(error as Error).message}`);
        }
      },
    },
  };
}
