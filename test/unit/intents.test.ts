import { describe, expect, it } from "vitest";
import type { DesiredState } from "../../lib/lifecycle/derive";
import { dedupeKey } from "../../lib/jobs/kinds";
import { planIntents, type HeldGrant, type HeldTag, type Intent } from "../../lib/lifecycle/intents";

const desired = (o: { groups?: number[]; wanted?: number[]; unwanted?: number[]; suppressed?: number[] } = {}): DesiredState => ({
  entitlements: [],
  accessGroupIds: new Set(o.groups ?? []),
  tagsWanted: new Set(o.wanted ?? []),
  tagsUnwanted: new Set(o.unwanted ?? []),
  tagsSuppressed: new Set(o.suppressed ?? []),
  journeys: [],
  nextCheckAt: null,
  unpaidAfterGrace: [],
});

const grant = (accessGroupId: number, state: HeldGrant["state"], version: number): HeldGrant => ({ accessGroupId, state, version });
const tag = (tagId: number, state: HeldTag["state"], version: number): HeldTag => ({ tagId, state, version });

interface Row {
  name: string;
  grants?: HeldGrant[];
  tags?: HeldTag[];
  want: DesiredState;
  intents: Intent[];
}

describe("planIntents", () => {
  it.each<Row>([
    { name: "nothing held, nothing desired", want: desired(), intents: [] },
    {
      name: "new access groups are granted at version 1, in id order",
      want: desired({ groups: [102, 101] }),
      intents: [
        { kind: "circle.grant", accessGroupId: 101, version: 1 },
        { kind: "circle.grant", accessGroupId: 102, version: 1 },
      ],
    },
    ...(["pending", "invited", "active"] as const).map((state) => ({
      name: `desired group already ${state}: no intent`,
      grants: [grant(101, state, 3)],
      want: desired({ groups: [101] }),
      intents: [],
    })),
    {
      name: "desired group previously revoked: granted again at the next version",
      grants: [grant(101, "revoked", 4)],
      want: desired({ groups: [101] }),
      intents: [{ kind: "circle.grant", accessGroupId: 101, version: 5 }],
    },
    {
      name: "desired group whose grant failed: granted again",
      grants: [grant(101, "failed", 2)],
      want: desired({ groups: [101] }),
      intents: [{ kind: "circle.grant", accessGroupId: 101, version: 3 }],
    },
    ...(["pending", "invited", "active"] as const).map((state) => ({
      name: `undesired group ${state}: revoked`,
      grants: [grant(101, state, 2)],
      want: desired(),
      intents: [{ kind: "circle.revoke" as const, accessGroupId: 101, version: 3 }],
    })),
    {
      name: "undesired group whose grant failed: revoked",
      grants: [grant(101, "failed", 6)],
      want: desired(),
      intents: [{ kind: "circle.revoke", accessGroupId: 101, version: 7 }],
    },
    {
      name: "undesired group already revoked: no intent",
      grants: [grant(101, "revoked", 2)],
      want: desired(),
      intents: [],
    },
    {
      name: "plan change: grant the new group, revoke the old",
      grants: [grant(101, "active", 1), grant(103, "active", 1)],
      want: desired({ groups: [101, 102] }),
      intents: [
        { kind: "circle.grant", accessGroupId: 102, version: 1 },
        { kind: "circle.revoke", accessGroupId: 103, version: 2 },
      ],
    },
    {
      name: "wanted tag not held: tagged at version 1",
      want: desired({ wanted: [20, 10] }),
      intents: [
        { kind: "kit.tag", tagId: 10, version: 1 },
        { kind: "kit.tag", tagId: 20, version: 1 },
      ],
    },
    ...(["pending_add", "applied"] as const).map((state) => ({
      name: `wanted tag already ${state}: no intent`,
      tags: [tag(10, state, 2)],
      want: desired({ wanted: [10] }),
      intents: [],
    })),
    ...(["pending_remove", "removed", "failed"] as const).map((state) => ({
      name: `wanted tag ${state}: tagged again at the next version`,
      tags: [tag(10, state, 2)],
      want: desired({ wanted: [10] }),
      intents: [{ kind: "kit.tag" as const, tagId: 10, version: 3 }],
    })),
    ...(["pending_add", "applied", "failed"] as const).map((state) => ({
      name: `unwanted tag ${state}: untagged`,
      tags: [tag(40, state, 1)],
      want: desired({ unwanted: [40] }),
      intents: [{ kind: "kit.untag" as const, tagId: 40, version: 2 }],
    })),
    ...(["pending_remove", "removed"] as const).map((state) => ({
      name: `unwanted tag already ${state}: no intent`,
      tags: [tag(40, state, 1)],
      want: desired({ unwanted: [40] }),
      intents: [],
    })),
    {
      name: "unwanted tag never held: no intent",
      want: desired({ unwanted: [40] }),
      intents: [],
    },
    {
      name: "suppressed tag with no row: untagged at version 1",
      want: desired({ suppressed: [50] }),
      intents: [{ kind: "kit.untag", tagId: 50, version: 1 }],
    },
    ...(["pending_add", "applied", "failed"] as const).map((state) => ({
      name: `suppressed tag ${state}: untagged`,
      tags: [tag(50, state, 4)],
      want: desired({ suppressed: [50] }),
      intents: [{ kind: "kit.untag" as const, tagId: 50, version: 5 }],
    })),
    ...(["pending_remove", "removed"] as const).map((state) => ({
      name: `suppressed tag already ${state}: no intent`,
      tags: [tag(50, state, 4)],
      want: desired({ suppressed: [50] }),
      intents: [],
    })),
    {
      name: "tag both unwanted and suppressed: one untag",
      tags: [tag(50, "applied", 2)],
      want: desired({ unwanted: [50], suppressed: [50] }),
      intents: [{ kind: "kit.untag", tagId: 50, version: 3 }],
    },
    {
      name: "held tags outside every set are left alone",
      tags: [tag(99, "applied", 1)],
      grants: [],
      want: desired({ wanted: [10] }),
      intents: [{ kind: "kit.tag", tagId: 10, version: 1 }],
    },
    {
      name: "refund: revoke access, swap tags, suppress promotions",
      grants: [grant(101, "active", 1)],
      tags: [tag(10, "applied", 1), tag(20, "applied", 1), tag(50, "applied", 1)],
      want: desired({ wanted: [60], unwanted: [10, 30, 40], suppressed: [50, 51] }),
      intents: [
        { kind: "circle.revoke", accessGroupId: 101, version: 2 },
        { kind: "kit.tag", tagId: 60, version: 1 },
        { kind: "kit.untag", tagId: 10, version: 2 },
        { kind: "kit.untag", tagId: 50, version: 2 },
        { kind: "kit.untag", tagId: 51, version: 1 },
      ],
    },
  ])("$name", ({ grants = [], tags = [], want, intents }) => {
    expect(planIntents({ grants, tags }, want)).toEqual(intents);
  });

  it("is idempotent once the intents are applied", () => {
    const want = desired({ groups: [101], wanted: [10], unwanted: [40], suppressed: [50] });
    const held = { grants: [grant(101, "revoked", 1)], tags: [tag(10, "removed", 1), tag(40, "applied", 1)] };
    const intents = planIntents(held, want);
    const grants = held.grants.map((g) => {
      const intent = intents.find((i) => i.kind === "circle.grant" && i.accessGroupId === g.accessGroupId);
      return intent ? grant(g.accessGroupId, "active", intent.version) : g;
    });
    const tags = [...held.tags, tag(50, "applied", 0)].map((t) => {
      const intent = intents.find((i) => (i.kind === "kit.tag" || i.kind === "kit.untag") && i.tagId === t.tagId);
      if (!intent) return t;
      return tag(t.tagId, intent.kind === "kit.tag" ? "applied" : "removed", intent.version);
    });
    expect(intents).toHaveLength(4);
    expect(planIntents({ grants, tags }, want)).toEqual([]);
  });
});

describe("dedupeKey", () => {
  it.each<[Intent, string]>([
    [{ kind: "circle.grant", accessGroupId: 101, version: 1 }, "circle.grant:cust_1:group:101:v1"],
    [{ kind: "circle.revoke", accessGroupId: 101, version: 2 }, "circle.revoke:cust_1:group:101:v2"],
    [{ kind: "kit.tag", tagId: 10, version: 3 }, "kit.tag:cust_1:tag:10:v3"],
    [{ kind: "kit.untag", tagId: 10, version: 4 }, "kit.untag:cust_1:tag:10:v4"],
  ])("%o -> %s", (intent, key) => {
    expect(dedupeKey("cust_1", intent)).toBe(key);
  });

  it("is stable: the same decision gives the same key", () => {
    const intent: Intent = { kind: "kit.tag", tagId: 10, version: 3 };
    expect(dedupeKey("cust_1", intent)).toBe(dedupeKey("cust_1", { ...intent }));
  });

  it("is unique per customer, kind, target and version", () => {
    const intents: Intent[] = [];
    for (const version of [1, 2, 3]) {
      for (const id of [1, 10, 101]) {
        intents.push(
          { kind: "circle.grant", accessGroupId: id, version },
          { kind: "circle.revoke", accessGroupId: id, version },
          { kind: "kit.tag", tagId: id, version },
          { kind: "kit.untag", tagId: id, version },
        );
      }
    }
    const keys = ["cust_1", "cust_2"].flatMap((customer) => intents.map((intent) => dedupeKey(customer, intent)));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a superseding decision on the same row gets the next version's key", () => {
    const [revoke] = planIntents({ grants: [grant(101, "active", 1)], tags: [] }, desired());
    const [regrant] = planIntents({ grants: [grant(101, "revoked", 2)], tags: [] }, desired({ groups: [101] }));
    expect([revoke, regrant].map((intent) => intent && dedupeKey("c", intent))).toEqual([
      "circle.revoke:c:group:101:v2",
      "circle.grant:c:group:101:v3",
    ]);
  });
});
