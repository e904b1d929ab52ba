import { describe, expect, it } from "vitest";
import { defaultBackoff, retryDelayMs, type BackoffPolicy } from "../../lib/jobs/queue";

const policy: BackoffPolicy = { baseMs: 1_000, capMs: 60_000 };
const fixed = (value: number) => () => value;

describe("retryDelayMs", () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 16_000],
    [6, 32_000],
    [7, 60_000],
    [8, 60_000],
    [50, 60_000],
    [5_000, 60_000],
  ])("attempt %i: ceiling %i, delay within [ceiling/2, ceiling]", (attempt, ceiling) => {
    expect(retryDelayMs(attempt, policy, null, fixed(0))).toBe(ceiling / 2);
    expect(retryDelayMs(attempt, policy, null, fixed(0.5))).toBe((ceiling * 3) / 4);
    expect(retryDelayMs(attempt, policy, null, fixed(0.999999))).toBeLessThanOrEqual(ceiling);
    expect(retryDelayMs(attempt, policy, null, fixed(1))).toBe(ceiling);
  });

  it.each([0, -3])("attempt %i is treated as the first", (attempt) => {
    expect(retryDelayMs(attempt, policy, null, fixed(0))).toBe(500);
    expect(retryDelayMs(attempt, policy, null, fixed(1))).toBe(1_000);
  });

  it("grows exponentially until the cap", () => {
    const delays = Array.from({ length: 6 }, (_, index) => retryDelayMs(index + 1, policy, null, fixed(0.3)));
    delays.slice(1).forEach((delay, index) => expect(delay).toBe(delays[index]! * 2));
  });

  it("never exceeds the cap for any random value", () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      for (const r of [0, 0.1, 0.5, 0.9, 0.9999999]) {
        const delay = retryDelayMs(attempt, policy, null, fixed(r));
        expect(delay).toBeGreaterThanOrEqual(Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1)) / 2);
        expect(delay).toBeLessThanOrEqual(policy.capMs);
      }
    }
  });

  it.each([
    ["Retry-After longer than the backoff wins", 1, 30_000, 30_000],
    ["Retry-After beyond the cap still wins", 20, 3_600_000, 3_600_000],
    ["Retry-After shorter than the backoff is a floor only", 5, 100, 12_000],
    ["Retry-After of zero changes nothing", 3, 0, 3_000],
    ["no Retry-After", 3, null, 3_000],
  ])("%s", (_name, attempt, retryAfter, expected) => {
    expect(retryDelayMs(attempt, policy, retryAfter, fixed(0.5))).toBe(expected);
  });

  it("returns whole milliseconds", () => {
    expect(Number.isInteger(retryDelayMs(2, { baseMs: 333, capMs: 10_000 }, null, fixed(0.123)))).toBe(true);
  });

  it("uses the random source it is given", () => {
    const values = [0, 1];
    const random = () => values.shift() ?? 0;
    expect([retryDelayMs(4, policy, null, random), retryDelayMs(4, policy, null, random)]).toEqual([4_000, 8_000]);
  });

  it("default policy: one second base, ten minute cap", () => {
    expect(retryDelayMs(1, defaultBackoff, null, fixed(1))).toBe(1_000);
    expect(retryDelayMs(30, defaultBackoff, null, fixed(1))).toBe(600_000);
    expect(retryDelayMs(30, defaultBackoff, null, fixed(0))).toBe(300_000);
  });
});
