import type { Database } from "../db";
import { jobRow } from "../jobs/kinds";
import { enqueue } from "../jobs/queue";

// The reconciler runs inside the worker: one `reconcile.run` job per interval slot (slots are
// aligned on the epoch, so every process that schedules names the same slot and the outbox's
// dedupe key keeps one), and each run schedules the next.

/** The start of the slot after `now`. */
export function nextSlot(now: Date, intervalMs: number): Date {
  return new Date((Math.floor(now.getTime() / intervalMs) + 1) * intervalMs);
}

/** Schedules the next reconciliation (idempotent per slot); nothing when the interval is 0 (off). */
export async function scheduleReconcile(db: Database, intervalMs: number, now = new Date()): Promise<Date | null> {
  if (intervalMs <= 0) return null;
  const slot = nextSlot(now, intervalMs);
  await enqueue(db, [jobRow("reconcile.run", { slot: slot.toISOString() }, { runAt: slot, maxAttempts: 3 })]);
  return slot;
}
