import type { Database } from "../db";
import { jobRow } from "../jobs/kinds";
import { enqueue } from "../jobs/queue";
import { nextSlot } from "../jobs/slots";

// The reconciler runs inside the worker: one `reconcile.run` job per interval slot
// (lib/jobs/slots.ts), and each run schedules the next.

/** Schedules the next reconciliation (idempotent per slot); nothing when the interval is 0 (off). */
export async function scheduleReconcile(db: Database, intervalMs: number, now = new Date()): Promise<Date | null> {
  if (intervalMs <= 0) return null;
  const slot = nextSlot(now, intervalMs);
  await enqueue(db, [jobRow("reconcile.run", { slot: slot.toISOString() }, { runAt: slot, maxAttempts: 3 })]);
  return slot;
}
