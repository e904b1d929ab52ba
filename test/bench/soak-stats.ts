// The soak's verdicts, pure: a least-squares slope over (minutes, value) samples, and whether a
// series stayed flat over the run. Warm-up samples (caches filling, the JIT, pools opening) are
// left out by the caller.

export interface Point {
  minutes: number;
  value: number;
}

/** Least-squares slope per minute; 0 for fewer than two distinct times. */
export function slopePerMinute(points: readonly Point[]): number {
  if (points.length < 2) return 0;
  const meanX = points.reduce((sum, point) => sum + point.minutes, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.value, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.minutes - meanX) * (point.value - meanY);
    variance += (point.minutes - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Flatness {
  slopePerHour: number;
  /** What the fitted line grows over the whole run, as a share of the series' median. */
  driftShare: number;
  flat: boolean;
}

/**
 * Flat: the fitted line grows less than `tolerance` of the series' median over the run. A leak
 * of a steady few bytes per request shows as a line that keeps rising; noise around a level
 * (a GC sawtooth, a latency spike) moves the fit little over many samples.
 */
export function flatness(points: readonly Point[], tolerance: number): Flatness {
  const slope = slopePerMinute(points);
  const span = points.length ? points[points.length - 1]!.minutes - points[0]!.minutes : 0;
  const level = median(points.map((point) => point.value));
  const driftShare = level > 0 ? (slope * span) / level : 0;
  return { slopePerHour: slope * 60, driftShare, flat: driftShare < tolerance };
}

/** The first and the last third of a series (at least one value each when there is one). */
export function thirds(values: readonly number[]): { first: number[]; last: number[] } {
  const third = Math.max(1, Math.floor(values.length / 3));
  return { first: values.slice(0, third), last: values.slice(values.length - third) };
}
