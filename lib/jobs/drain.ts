import crypto from "node:crypto";
import { dueWork } from "./queue";
import { createWorker, type WorkerOptions } from "./worker";

// A drain: the worker's claim-and-settle path (createWorker's runOnce: FOR UPDATE SKIP LOCKED
// claims under a lease, the same retry and dead-letter decisions), run batch after batch for a
// time budget instead of forever, for hosts without long-lived processes (a cron or QStash call
// to POST /api/jobs/drain). Any number of drains and workers can run side by side: a claimed
// job is no one else's until its lease runs out.

export interface DrainBudget {
  /** How long the drain may claim work for. */
  budgetMs: number;
  /**
   * What one batch is expected to take at most. No batch is claimed with less of the budget
   * left, nor with less left than the slowest batch of this drain took; a batch still running
   * when the budget ends is awaited (its jobs are leased, so a host that kills the drain loses
   * nothing: the lease runs out and another runner takes them).
   */
  jobMs: number;
}

export interface DrainReport {
  /** Jobs claimed and run. */
  ran: number;
  succeeded: number;
  /** Put back in the queue: to retry after backoff, or until their provider's budget reopens. */
  retried: number;
  dead: number;
  /** Jobs due and unclaimed when the drain ended. */
  remaining: number;
  /** How long the oldest of them has been due; null when none is. */
  oldestDueAgeMs: number | null;
}

/** Runs due jobs in batches until none is due or the budget is spent, and says what it did. */
export async function drainQueue(options: WorkerOptions, budget: DrainBudget): Promise<DrainReport> {
  const startedAt = Date.now();
  const deadline = startedAt + budget.budgetMs;
  const settled = { succeeded: 0, retried: 0, dead: 0 };
  const worker = createWorker({
    ...options,
    workerId: options.workerId ?? `drain:${crypto.randomUUID().slice(0, 8)}`,
    onSettled(job, outcome) {
      if (outcome === "succeeded") settled.succeeded += 1;
      else if (outcome === "retry") settled.retried += 1;
      else settled.dead += 1;
      options.onSettled?.(job, outcome);
    },
  });
  let ran = 0;
  let slowestBatchMs = 0;
  // The first batch sees the whole budget, so a budget of at least jobMs always runs one.
  for (let batchStart = startedAt; deadline - batchStart >= Math.max(budget.jobMs, slowestBatchMs); batchStart = Date.now()) {
    const batch = await worker.runOnce();
    if (batch === 0) break;
    ran += batch;
    slowestBatchMs = Math.max(slowestBatchMs, Date.now() - batchStart);
  }
  const due = await dueWork(options.db);
  return { ran, ...settled, remaining: due.count, oldestDueAgeMs: due.oldestDueAgeMs };
}
