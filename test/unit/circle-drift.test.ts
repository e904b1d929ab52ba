import { describe, expect, it } from "vitest";
import { compareCircleAccess, type GrantInGroup, type KnownMember } from "../../lib/reconcile/circle";

const grant = (customerId: string, state: GrantInGroup["state"], circleMemberId: number | null): GrantInGroup => ({
  customerId,
  email: `${customerId}@example.com`,
  state,
  circleMemberId,
});
const known = (entries: Array<[number, string]>) =>
  new Map<number, KnownMember>(entries.map(([id, customerId]) => [id, { customerId, email: `${customerId}@example.com` }]));

describe("compareCircleAccess", () => {
  it.each([
    ["in step: granted and present", [grant("a", "active", 1), grant("b", "invited", 2)], [1, 2], known([]), { missing: [], without: [], unknown: [] }],
    ["granted but removed by hand", [grant("a", "active", 1), grant("b", "invited", 2)], [1], known([]), { missing: ["b"], without: [], unknown: [] }],
    ["revoked but added back by hand", [grant("a", "revoked", 1)], [1], known([]), { missing: [], without: ["a:revoked"], unknown: [] }],
    ["revoked and gone: in step", [grant("a", "revoked", 1)], [], known([]), { missing: [], without: [], unknown: [] }],
    ["a customer of ours with no grant in this group", [], [7], known([[7, "c"]]), { missing: [], without: ["c:none"], unknown: [] }],
    ["a member who is no customer of ours", [], [9], known([]), { missing: [], without: [], unknown: [9] }],
    ["pending and failed grants are the outbox's, not drift", [grant("a", "pending", 1), grant("b", "failed", 2), grant("c", "pending", null)], [2], known([]), { missing: [], without: [], unknown: [] }],
    ["a granted row without a member id yet is not missing", [grant("a", "invited", null)], [], known([]), { missing: [], without: [], unknown: [] }],
  ])("%s", (_case, grants, circleIds, members, expected) => {
    const drift = compareCircleAccess(grants, circleIds, members);
    expect(drift.missingInCircle.map((g) => g.customerId)).toEqual(expected.missing);
    expect(drift.withoutEntitlement.map((m) => `${m.customerId}:${m.grantState ?? "none"}`)).toEqual(expected.without);
    expect(drift.unknownMemberIds).toEqual(expected.unknown);
  });
});
