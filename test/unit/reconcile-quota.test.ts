import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INVITATION_CHECK_DELAYS_MS, invitationCheckAt, listingIsCheaper, MEMBERS_PAGE_SIZE } from "../../lib/reconcile/follow-up";
import { backgroundShare, CIRCLE_PLAN_QUOTAS, circleLimits } from "../../lib/jobs/budget";
import { nextSlot } from "../../lib/jobs/slots";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("Circle's quota by plan", () => {
  it.each([
    ["business", 5_000],
    ["enterprise", 30_000],
    ["plus_platform", 250_000],
  ] as const)("%s: %i requests a month beside 2,000 per 5 minutes", (plan, monthly) => {
    expect(circleLimits(plan)).toEqual({ limit: 2_000, windowMs: 5 * MINUTE, monthly });
  });

  it("background work gets its share of the window and the month, spread over the days, and never all of it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(CIRCLE_PLAN_QUOTAS) as Array<keyof typeof CIRCLE_PLAN_QUOTAS>)), fc.double({ min: 0.05, max: 0.9, noNaN: true }), (plan, share) => {
        const limits = circleLimits(plan);
        const { window, daily } = backgroundShare(limits, share);
        return (
          window.limit < limits.limit &&
          window.monthly! < limits.monthly! &&
          daily !== null &&
          daily.limit * 31 <= window.monthly! &&
          daily.windowMs === DAY
        );
      }),
    );
    expect(backgroundShare(circleLimits("business"), 0.5)).toEqual({ window: { limit: 1_000, windowMs: 5 * MINUTE, monthly: 2_500 }, daily: { limit: 80, windowMs: DAY } });
  });
});

describe("invitation follow-ups", () => {
  it("look again at 10 min, 1 h, 6 h, 24 h, then daily for a week, then stop", () => {
    const invitedAt = new Date("2026-11-01T00:00:00Z");
    const at = INVITATION_CHECK_DELAYS_MS.map((_, step) => invitationCheckAt(invitedAt, step)!.getTime() - invitedAt.getTime());
    expect(at).toEqual([10 * MINUTE, HOUR, 6 * HOUR, DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY, 6 * DAY, 7 * DAY, 8 * DAY]);
    expect(invitationCheckAt(invitedAt, INVITATION_CHECK_DELAYS_MS.length)).toBeNull();
  });

  it.each([
    [1, 50, false],
    [2, 50, true],
    [2, 150, false],
    [3, 150, true],
    [30, 5_000, false],
    [51, 5_000, true],
  ])("%i due checks in a community of %i: listing cheaper = %s", (due, members, cheaper) => {
    expect(listingIsCheaper(due, members)).toBe(cheaper);
    expect(Math.ceil(members / MEMBERS_PAGE_SIZE) < due).toBe(cheaper);
  });
});

describe("the reconciliation schedule", () => {
  it("names the same next slot from any moment inside a slot", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 7 * 24 * 60 }), (ms, minutes) => {
        const interval = minutes * MINUTE;
        const slot = nextSlot(new Date(ms), interval).getTime();
        return slot > ms && slot - ms <= interval && slot % interval === 0;
      }),
    );
  });
});
