import { describe, expect, it } from "vitest";
import { planRecordChanges, type HeldRecord } from "../../lib/lifecycle/changes";
import type { DerivedEntitlement, DesiredState } from "../../lib/lifecycle/derive";

const T0 = new Date("2026-11-01T10:00:00.000Z");
const T1 = new Date("2026-12-01T10:00:00.000Z");

const entitlement = (o: Partial<DerivedEntitlement> = {}): DerivedEntitlement => ({
  sourceId: "sub_1",
  planKey: "community",
  status: "active",
  hasAccess: true,
  accessUntil: T1,
  graceUntil: null,
  cancelAtPeriodEnd: false,
  lastPaymentAt: T0,
  lastPaymentStatus: "paid",
  lastEventAt: T0,
  ...o,
});

const desired = (o: Partial<DesiredState> = {}): DesiredState => ({
  entitlements: [],
  accessGroupIds: new Set(),
  tagsWanted: new Set(),
  tagsUnwanted: new Set(),
  tagsSuppressed: new Set(),
  journeys: [],
  nextCheckAt: null,
  unpaidAfterGrace: [],
  ...o,
});

const held = (o: Partial<HeldRecord> = {}): HeldRecord => ({
  customer: { email: "a@example.com", emailStatus: "active" },
  entitlements: [],
  journeys: [],
  grants: [],
  tags: [],
  ...o,
});

/** The held row of `entitlement()` exactly as the store reads it back. */
const heldActive = {
  sourceId: "sub_1",
  planKey: "community",
  status: "active" as const,
  cancelAtPeriodEnd: false,
  lastPaymentStatus: "paid",
  accessUntil: T1.getTime(),
  graceUntil: null,
  lastPaymentAt: T0.getTime(),
  lastEventAt: T0.getTime(),
};

const facts = (o: { emailStatus?: "active" | "unsubscribed"; observed?: Array<[number, boolean]> } = {}) => ({
  emailStatus: o.emailStatus ?? ("active" as const),
  kitTagsObserved: new Map((o.observed ?? []).map(([tagId, present]) => [tagId, { present, at: T0 }])),
});

describe("planRecordChanges", () => {
  it("writes nothing for a record that already says what the fold says", () => {
    const changes = planRecordChanges(held({ entitlements: [heldActive] }), desired({ entitlements: [entitlement()] }), facts(), []);
    expect(changes).toEqual({ entitlements: [], audits: [], journeys: [], grants: [], tags: [], observed: [] });
  });

  it.each<[string, Partial<DerivedEntitlement>, boolean]>([
    ["a status change, audited", { status: "past_due", graceUntil: T1 }, true],
    ["a plan change, audited", { planKey: "pro" }, true],
    ["a later period end, not audited", { accessUntil: new Date(T1.getTime() + 1) }, false],
    ["cancel at period end, not audited", { cancelAtPeriodEnd: true }, false],
  ])("writes the entitlement on %s", (_, change, audited) => {
    const changes = planRecordChanges(held({ entitlements: [heldActive] }), desired({ entitlements: [entitlement(change)] }), facts(), []);
    expect(changes.entitlements).toHaveLength(1);
    expect(changes.entitlements[0]).not.toHaveProperty("hasAccess");
    expect(changes.audits).toHaveLength(audited ? 1 : 0);
  });

  it("audits a new entitlement with no before", () => {
    const changes = planRecordChanges(held(), desired({ entitlements: [entitlement()] }), facts(), []);
    expect(changes.audits).toEqual([{ before: null, after: { planKey: "community", status: "active", sourceId: "sub_1" } }]);
  });

  it("moves grant and tag rows to what the intents decide, a later intent for the same row winning", () => {
    const changes = planRecordChanges(held(), desired(), facts({ observed: [[7, true]] }), [
      { kind: "circle.grant", accessGroupId: 1, version: 1 },
      { kind: "circle.revoke", accessGroupId: 1, version: 2 },
      { kind: "kit.tag", tagId: 7, version: 3 },
    ]);
    expect(changes.grants).toEqual([{ accessGroupId: 1, state: "revoked", version: 2 }]);
    expect(changes.tags).toEqual([{ tagId: 7, state: "pending_add", version: 3, presentInKit: true, observedAt: T0 }]);
    // What Kit holds goes with the intent's row, not a second time as an observation.
    expect(changes.observed).toEqual([]);
  });

  it("records what Kit was seen to hold on rows no intent moves", () => {
    const changes = planRecordChanges(held(), desired(), facts({ observed: [[8, false]] }), []);
    expect(changes.observed).toEqual([{ tagId: 8, presentInKit: false, observedAt: T0 }]);
  });

  it("changes the email status only when it differs", () => {
    expect(planRecordChanges(held(), desired(), facts({ emailStatus: "unsubscribed" }), [])).toHaveProperty("emailStatus", "unsubscribed");
    expect(planRecordChanges(held(), desired(), facts(), [])).not.toHaveProperty("emailStatus");
  });

  it("writes a journey only when it is new or its times moved", () => {
    const journey = { kind: "purchase" as const, key: "sub_1", startedAt: T0, endedAt: null };
    const same = held({ journeys: [{ kind: "purchase", key: "sub_1", startedAt: T0.getTime(), endedAt: null }] });
    expect(planRecordChanges(same, desired({ journeys: [journey] }), facts(), []).journeys).toEqual([]);
    expect(planRecordChanges(same, desired({ journeys: [{ ...journey, endedAt: T1 }] }), facts(), []).journeys).toEqual([{ ...journey, endedAt: T1 }]);
  });
});
