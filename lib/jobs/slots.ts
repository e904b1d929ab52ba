// Periodic work runs as one job per slot: slots are aligned on the epoch, so every process that
// schedules names the same slot and the outbox's dedupe key keeps one job for it.

/** The start of the slot after `now`. */
export function nextSlot(now: Date, intervalMs: number): Date {
  return new Date((Math.floor(now.getTime() / intervalMs) + 1) * intervalMs);
}
