// How the console writes times: ages as "3 h", moments in UTC (the server renders them, so
// every admin sees the same clock whatever their browser's zone).

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A duration in milliseconds as the largest whole unit: "40 s", "12 min", "3 h", "2 d". */
export function duration(ms: number): string {
  const span = Math.max(0, ms);
  if (span < MINUTE) return `${Math.floor(span / 1000)} s`;
  if (span < HOUR) return `${Math.floor(span / MINUTE)} min`;
  if (span < DAY) return `${Math.floor(span / HOUR)} h`;
  return `${Math.floor(span / DAY)} d`;
}

/** How long ago `at` was, as of `now`. */
export const age = (at: Date | string | number, now: Date): string => duration(now.getTime() - new Date(at).getTime());

/** A moment as "2026-11-30 14:05 UTC". */
export function when(at: Date | string | number | null | undefined): string {
  if (at === null || at === undefined) return "—";
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return "—";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
