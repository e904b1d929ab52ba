import { describe, expect, it } from "vitest";
import { JOB_KIND_NAMES, JOB_KINDS, prioritiesCalledOnlyBy, prioritiesOnlyOf, providersAtPriority, providerOf } from "../../lib/jobs/kinds";

// A claim skips a priority only when every kind at it calls a paused provider: skipping one
// that holds any other kind would stall that kind until the budget reopens.

describe("prioritiesOnlyOf", () => {
  it.each([
    { paused: [], expected: [] },
    { paused: ["kit"], expected: [20] },
    { paused: ["circle"], expected: [10, 35] },
    { paused: ["circle", "kit"], expected: [10, 20, 35] },
    { paused: ["stripe"], expected: [] },
  ])("with $paused paused: $expected", ({ paused, expected }) => {
    expect(prioritiesOnlyOf(paused).sort((a, b) => a - b)).toEqual(expected);
  });

  it("never names a priority that holds a kind of a provider still running", () => {
    for (const paused of [["kit"], ["circle"], ["circle", "kit"]]) {
      const skipped = new Set(prioritiesOnlyOf(paused));
      for (const name of JOB_KIND_NAMES) {
        if (!paused.includes(providerOf(name))) expect(skipped.has(JOB_KINDS[name].priority)).toBe(false);
      }
    }
  });

  // The registry has one provider per priority today, so it cannot tell "every kind" from "some
  // kind": a table with two providers at one priority can.
  const shared = providersAtPriority([
    { name: "lifecycle.apply", priority: 0 },
    { name: "circle.grant", priority: 10 },
    { name: "kit.tag", priority: 10 },
    { name: "kit.untag", priority: 20 },
  ]);
  it.each([
    { paused: ["kit"], expected: [20] },
    { paused: ["circle"], expected: [] },
    { paused: ["circle", "kit"], expected: [10, 20] },
  ])("with two providers at one priority and $paused paused: $expected", ({ paused, expected }) => {
    expect(prioritiesCalledOnlyBy(paused, shared).sort((a, b) => a - b)).toEqual(expected);
  });
});
