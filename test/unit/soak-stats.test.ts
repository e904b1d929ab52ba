import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatness, median, slopePerMinute, thirds, type Point } from "../bench/soak-stats";

const line = (slope: number, intercept: number, minutes: number[]): Point[] => minutes.map((minute) => ({ minutes: minute, value: intercept + slope * minute }));
const everyHalfMinute = Array.from({ length: 60 }, (_, index) => index / 2);

describe("soak verdicts", () => {
  it.each([
    [0, 100],
    [2, 50],
    [-1.5, 300],
  ])("fits the slope %d of an exact line", (slope, intercept) => {
    expect(slopePerMinute(line(slope, intercept, everyHalfMinute))).toBeCloseTo(slope, 9);
  });

  it("recovers a line's slope under noise that averages out", () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 60, maxLength: 60 }), (slope, noise) => {
        const points = line(slope, 1_000, everyHalfMinute).map((point, index) => ({ ...point, value: point.value + noise[index]! }));
        // Noise bounded by 1 over a 29.5-minute span moves the fitted slope by well under 0.1.
        expect(Math.abs(slopePerMinute(points) - slope)).toBeLessThan(0.1);
      }),
    );
  });

  it("calls a heap that keeps growing a leak, and a sawtooth around a level flat", () => {
    // 200 MB growing 1 MB a minute: +15% over 30 minutes.
    expect(flatness(line(1, 200, everyHalfMinute), 0.1).flat).toBe(false);
    const sawtooth = everyHalfMinute.map((minute, index) => ({ minutes: minute, value: 200 + (index % 6) * 8 }));
    const verdict = flatness(sawtooth, 0.1);
    expect(verdict.flat).toBe(true);
    expect(Math.abs(verdict.driftShare)).toBeLessThan(0.05);
  });

  it("does not call a shrinking series a leak", () => {
    expect(flatness(line(-1, 200, everyHalfMinute), 0.1).flat).toBe(true);
  });

  it("takes medians and thirds", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(thirds([1, 2, 3, 4, 5, 6, 7])).toEqual({ first: [1, 2], last: [6, 7] });
    expect(thirds([1, 2])).toEqual({ first: [1], last: [2] });
  });
});
