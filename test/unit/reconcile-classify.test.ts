import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyCircle,
  classifyKit,
  classifyStripe,
  deniedAccessKey,
  driftKey,
  type CircleSnapshot,
  type GrantSnapshot,
  type KitTagMember,
  type RecordSnapshot,
  type TagSnapshot,
} from "../../lib/reconcile/classify";
import { actionFor, DEFAULT_POLICY, parsePolicy } from "../../lib/reconcile/policy";
import type { AccessState, TagState } from "../../lib/lifecycle/states";

const GROUP = 7;
const TAG = 3;

function record(parts: Partial<RecordSnapshot> = {}): RecordSnapshot {
  return {
    grants: [],
    tags: [],
    entitlements: [],
    circleMembers: new Map(),
    kitSubscribers: new Map(),
    customerByEmail: new Map(),
    emailStatus: new Map(),
    stripeCustomers: new Map(),
    denied: new Set(),
    ...parts,
  };
}

const circle = (members: number[], accepted: number[] = []): CircleSnapshot => ({ groups: new Map([[GROUP, members]]), accepted: new Set(accepted) });
const grant = (customerId: string, state: AccessState, circleMemberId: number | null): GrantSnapshot => ({ customerId, accessGroupId: GROUP, state, circleMemberId });

describe("classifyCircle", () => {
  const cases: Array<{ name: string; grants: GrantSnapshot[]; members: number[]; accepted?: number[]; refs?: Array<[number, string]>; denied?: string[]; kinds: string[] }> = [
    { name: "in step: active and in the group", grants: [grant("a", "active", 1)], members: [1], kinds: [] },
    { name: "invited, still in the group, not accepted", grants: [grant("a", "invited", 1)], members: [1], kinds: [] },
    { name: "removed by hand: paid but no access", grants: [grant("a", "active", 1)], members: [], kinds: ["paid_no_access:a"] },
    { name: "invited and removed", grants: [grant("a", "invited", 1)], members: [], kinds: ["paid_no_access:a"] },
    { name: "accepted the invitation", grants: [grant("a", "invited", 1)], members: [1], accepted: [1], kinds: ["invitation_accepted:a"] },
    { name: "accepted but active already: nothing", grants: [grant("a", "active", 1)], members: [1], accepted: [1], kinds: [] },
    { name: "refunded and added back by hand", grants: [grant("a", "revoked", 1)], members: [1], kinds: ["access_not_paid:a"] },
    { name: "a customer of another group added here", grants: [], members: [4], refs: [[4, "b"]], kinds: ["access_not_paid:b"] },
    { name: "nobody we know", grants: [], members: [9], kinds: ["unknown_member:null"] },
    { name: "grant on its way: the outbox's business", grants: [grant("a", "pending", null)], members: [], kinds: [] },
    { name: "grant failed and member present: the outbox's business", grants: [grant("a", "failed", 1)], members: [1], kinds: [] },
    { name: "an admin's revoke, member gone: left alone", grants: [grant("a", "revoked", 1)], members: [], denied: [deniedAccessKey("a", GROUP)], kinds: [] },
  ];
  it.each(cases)("$name", ({ grants, members, accepted, refs, denied, kinds }) => {
    const drift = classifyCircle(record({ grants, circleMembers: new Map(refs ?? []), denied: new Set(denied ?? []) }), circle(members, accepted));
    expect(drift.map((item) => `${item.kind}:${item.customerId}`)).toEqual(kinds);
  });

  it("marks a banned member added back by hand as banned", () => {
    const [drift] = classifyCircle(record({ grants: [grant("a", "revoked", 1)], denied: new Set([deniedAccessKey("a", GROUP)]) }), circle([1]));
    expect(drift).toMatchObject({ kind: "access_not_paid", banned: true });
  });

  it("never reports a drift for a group it did not read", () => {
    expect(classifyCircle(record({ grants: [grant("a", "active", 1)] }), { groups: new Map(), accepted: new Set() })).toEqual([]);
  });
});

describe("classifyKit", () => {
  const member = (subscriberId: number, email: string, state = "active"): KitTagMember => ({ subscriberId, email, state });
  const tag = (customerId: string, state: TagState): TagSnapshot => ({ customerId, tagId: TAG, state });
  const base = { kitSubscribers: new Map([[100, "a"]]), customerByEmail: new Map([["b@example.com", "b"]]), emailStatus: new Map([["a", "active" as const], ["b", "active" as const]]) };
  const cases: Array<{ name: string; tags: TagSnapshot[]; members: KitTagMember[]; status?: "unsubscribed"; kinds: string[] }> = [
    { name: "applied and present", tags: [tag("a", "applied")], members: [member(100, "a@example.com")], kinds: [] },
    { name: "removed by hand in Kit", tags: [tag("a", "applied")], members: [], kinds: ["tag_missing:a"] },
    { name: "unsubscribed: never re-tagged", tags: [tag("a", "applied")], members: [], status: "unsubscribed", kinds: [] },
    { name: "tagged by hand after removal", tags: [tag("a", "removed")], members: [member(100, "a@example.com")], kinds: ["tag_extra:a"] },
    { name: "tagged by hand, never ours, matched by email", tags: [], members: [member(200, "B@example.com")], kinds: ["tag_extra:b"] },
    { name: "extra tag on an unsubscribed subscriber: reaches nobody", tags: [tag("a", "removed")], members: [member(100, "a@example.com", "cancelled")], kinds: [] },
    { name: "pending add: the outbox's business", tags: [tag("a", "pending_add")], members: [], kinds: [] },
    { name: "a subscriber who is no customer", tags: [], members: [member(300, "stranger@example.com")], kinds: [] },
  ];
  it.each(cases)("$name", ({ tags, members, status, kinds }) => {
    const snapshot = record({ ...base, tags, emailStatus: status ? new Map([["a", status]]) : base.emailStatus });
    expect(classifyKit(snapshot, { tags: new Map([[TAG, members]]) }).map((item) => `${item.kind}:${item.customerId}`)).toEqual(kinds);
  });
});

describe("classifyStripe", () => {
  it("finds subscriptions without entitlements and running entitlements Stripe no longer lists", () => {
    const snapshot = record({
      entitlements: [
        { customerId: "a", sourceId: "sub_a", status: "active" },
        { customerId: "b", sourceId: "sub_b", status: "past_due" },
        { customerId: "c", sourceId: "sub_c", status: "canceled" },
        { customerId: "d", sourceId: "cs_d", status: "active" },
      ],
      stripeCustomers: new Map([["cus_e", "e"]]),
    });
    const drift = classifyStripe(snapshot, {
      subscriptions: [
        { id: "sub_a", stripeCustomerId: "cus_a", status: "active" },
        { id: "sub_e", stripeCustomerId: "cus_e", status: "active" },
        { id: "sub_x", stripeCustomerId: "cus_x", status: "past_due" },
      ],
    });
    expect(drift.map((item) => `${item.kind}:${item.customerId}`)).toEqual(["subscription_no_entitlement:e", "subscription_no_entitlement:null", "entitlement_no_subscription:b"]);
  });
});

// ---- properties ----

const states: AccessState[] = ["pending", "invited", "active", "revoked", "failed"];
const grantsArbitrary = fc.uniqueArray(
  fc.record({ customer: fc.integer({ min: 1, max: 30 }), state: fc.constantFrom(...states), member: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }) }),
  { selector: (row) => row.customer, maxLength: 25 },
);

describe("classification properties", () => {
  it("a Circle group that holds exactly the record's granted members has no drift", () => {
    fc.assert(
      fc.property(grantsArbitrary, (rows) => {
        // One member per customer, as Circle has it.
        const grants = rows.map((row) => grant(`c${row.customer}`, row.state, row.state === "pending" ? null : 100 + row.customer));
        const members = grants.filter((row) => row.state === "invited" || row.state === "active").map((row) => row.circleMemberId!);
        return classifyCircle(record({ grants }), circle(members)).length === 0;
      }),
    );
  });

  it("every drift is about a member or customer of the snapshots, once per key, and the banned are never granted by it", () => {
    fc.assert(
      fc.property(grantsArbitrary, fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 30 })), (rows, members, bannedCustomers) => {
        const grants = rows.map((row) => grant(`c${row.customer}`, row.state, row.member === null ? null : 100 + row.member));
        const denied = new Set(bannedCustomers.map((customer) => deniedAccessKey(`c${customer}`, GROUP)));
        const drift = classifyCircle(record({ grants, denied }), circle(members.map((member) => 100 + member)));
        const keys = drift.map(driftKey);
        if (new Set(keys).size !== keys.length) return false;
        return drift.every((item) => {
          if (item.kind === "unknown_member") return item.customerId === null;
          // "paid but no access" comes only from a grant the record holds in Circle: a ban's grant is revoked.
          if (item.kind === "paid_no_access") return grants.some((row) => row.customerId === item.customerId && (row.state === "active" || row.state === "invited"));
          return item.customerId !== null;
        });
      }),
    );
  });

  it("a repair is never chosen for drift about someone unknown, whatever the policy", () => {
    fc.assert(
      fc.property(fc.constantFrom("repair", "ticket", "report" as const), fc.constantFrom("paid_no_access", "access_not_paid", "unknown_member", "tag_extra" as const), (action, kind) => {
        const policy = { ...DEFAULT_POLICY, [kind]: action };
        const chosen = actionFor(policy, { kind, customerId: null, target: { type: "access_group", accessGroupId: GROUP, circleMemberId: 1 }, banned: false });
        return chosen === "report";
      }),
    );
  });
});

describe("parsePolicy", () => {
  it("reads overrides over the defaults", () => {
    expect(parsePolicy('{"tag_extra":"repair"}')).toEqual({ ...DEFAULT_POLICY, tag_extra: "repair" });
    expect(parsePolicy(undefined)).toEqual(DEFAULT_POLICY);
  });
  it.each(['{"tag_extra":"delete"}', '{"nonsense":"repair"}', "not json", "[]"])("refuses %s", (text) => {
    expect(() => parsePolicy(text)).toThrow(/RECONCILE_POLICY/);
  });
});
