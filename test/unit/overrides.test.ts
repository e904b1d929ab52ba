import { describe, expect, it } from "vitest";
import { describeIssues, overrideRequest } from "../../lib/admin/overrides";
import type { HeldJourney } from "../../lib/lifecycle/changes";
import { deriveDesired } from "../../lib/lifecycle/derive";
import type { CanonicalEvent } from "../../lib/lifecycle/events";
import { foldEvents } from "../../lib/lifecycle/fold";
import { planIntents, type HeldGrant, type HeldTag, type Intent } from "../../lib/lifecycle/intents";
import { journeyKey, NO_OVERRIDES, overridesOf, type HeldOverride, type Overrides } from "../../lib/lifecycle/overrides";
import { catalog, checkout, day, invoiceFailed, invoicePaid, refund, subscription } from "./builders";

// An admin's standing decisions as derivation applies them, pure: the test catalog's monthly
// plan grants group 101 and tags 10 (active) and 20 (onboarding); the course grants 103 and 12;
// promotions are 50 and 11; 999 is in no plan.

const monthlyPurchase = (): CanonicalEvent[] => [
  checkout("e01", day(0)),
  subscription("e02", day(0)),
  invoicePaid("e03", day(0), { invoiceId: "in_1", paymentRef: "pi_1" }),
];
const renewalFails = (): CanonicalEvent[] => [
  ...monthlyPurchase(),
  subscription("e04", day(30), { status: "past_due", currentPeriodEnd: day(60) }),
  invoiceFailed("e05", day(30), { invoiceId: "in_2" }),
];
const refundedCourse = (): CanonicalEvent[] => [
  checkout("c01", day(0), { sourceId: "cs_course", oneTime: true, priceIds: ["price_course"], paymentRef: "pi_1" }),
  refund("r1", day(2)),
];

const overrides = (rows: HeldOverride[], journeys: HeldJourney[] = []): Overrides => overridesOf({ overrides: rows, journeys });
const access = (targetId: number, effect: "allow" | "deny"): HeldOverride => ({ scope: "access", targetId, effect });
const tag = (targetId: number, effect: "allow" | "deny"): HeldOverride => ({ scope: "tag", targetId, effect });
const derive = (events: readonly CanonicalEvent[], now: Date, with_: Overrides = NO_OVERRIDES) => deriveDesired(foldEvents(events, catalog), catalog, now, with_);

describe("overridesOf", () => {
  it("keys decisions by target per scope, and ended journeys by kind and key", () => {
    const built = overrides(
      [access(101, "deny"), tag(10, "allow"), tag(50, "deny")],
      [
        { kind: "purchase", key: "sub_1", startedAt: day(0).getTime(), endedAt: null },
        { kind: "payment_failure", key: "in_2", startedAt: day(30).getTime(), endedAt: day(31).getTime() },
      ],
    );
    expect(built.access).toEqual(new Map([[101, "deny"]]));
    expect(built.tags).toEqual(new Map([[10, "allow"], [50, "deny"]]));
    expect(built.endedJourneys).toEqual(new Map([[journeyKey("payment_failure", "in_2"), day(31)]]));
  });
});

describe("deriveDesired with overrides: access and tags", () => {
  it.each([
    { name: "no overrides: what the plan grants", events: monthlyPurchase(), rows: [], groups: [101], wanted: [10, 20], suppressed: [] },
    { name: "a paid group denied: a ban", events: monthlyPurchase(), rows: [access(101, "deny")], groups: [], wanted: [10, 20], suppressed: [] },
    { name: "a group allowed with no purchase: a comp", events: [], rows: [access(101, "allow")], groups: [101], wanted: [], suppressed: [] },
    { name: "a refunded course's group allowed: granted again", events: refundedCourse(), rows: [access(103, "allow")], groups: [103], wanted: [60], suppressed: [11, 50] },
    { name: "a group the plan does not grant denied: nothing changes", events: monthlyPurchase(), rows: [access(103, "deny")], groups: [101], wanted: [10, 20], suppressed: [] },
    { name: "past grace with the group allowed: access kept", events: renewalFails(), now: day(34), rows: [access(101, "allow")], groups: [101], wanted: [30], suppressed: [] },
    { name: "a group outside the catalog: ignored", events: monthlyPurchase(), rows: [access(999, "allow")], groups: [101], wanted: [10, 20], suppressed: [] },
    { name: "a wanted tag denied: suppressed", events: monthlyPurchase(), rows: [tag(10, "deny")], groups: [101], wanted: [20], suppressed: [10] },
    { name: "the onboarding tag denied: suppressed", events: monthlyPurchase(), rows: [tag(20, "deny")], groups: [101], wanted: [10], suppressed: [20] },
    { name: "a suppressed promotion allowed: wanted", events: refundedCourse(), rows: [tag(50, "allow")], groups: [], wanted: [50, 60], suppressed: [11] },
    { name: "a tag allowed with no purchase: wanted", events: [], rows: [tag(12, "allow")], groups: [], wanted: [12], suppressed: [] },
    { name: "a tag outside the catalog: ignored", events: monthlyPurchase(), rows: [tag(999, "deny")], groups: [101], wanted: [10, 20], suppressed: [] },
    {
      name: "access and tags decided together",
      events: monthlyPurchase(),
      rows: [access(101, "deny"), access(103, "allow"), tag(10, "deny"), tag(12, "allow")],
      groups: [103],
      wanted: [12, 20],
      suppressed: [10],
    },
  ])("$name", ({ events, now, rows, groups, wanted, suppressed }) => {
    const desired = derive(events, now ?? day(1), overrides(rows));
    expect(desired.accessGroupIds).toEqual(new Set(groups));
    expect(desired.tagsWanted).toEqual(new Set(wanted));
    expect(desired.tagsSuppressed).toEqual(new Set(suppressed));
    // A managed tag is unwanted exactly when it is not wanted.
    for (const id of wanted) expect(desired.tagsUnwanted.has(id)).toBe(false);
  });
});

describe("deriveDesired with overrides: journeys", () => {
  const failing = { kind: "payment_failure" as const, key: "in_2", startedAt: day(30).getTime() };
  it.each([
    { name: "an open episode the record holds open stays open", events: renewalFails(), held: null, endedAt: null },
    { name: "an episode an admin ended stays ended", events: renewalFails(), held: day(31), endedAt: day(31) },
    {
      name: "an episode later resolved by a payment ends when it was paid",
      events: [...renewalFails(), invoicePaid("e06", day(32), { invoiceId: "in_2", paymentRef: "pi_2" })],
      held: day(31),
      endedAt: day(32),
    },
  ])("$name", ({ events, held, endedAt }) => {
    const journeys = held === null ? [] : [{ ...failing, endedAt: held.getTime() }];
    const desired = derive(events, day(33), overrides([], journeys));
    expect(desired.journeys.find((journey) => journey.kind === "payment_failure")).toEqual({ kind: "payment_failure", key: "in_2", startedAt: day(30), endedAt });
  });

  it.each([
    { name: "an unpaid episode still open: a billing ticket", held: [], unpaid: 1 },
    { name: "an unpaid episode an admin ended: no ticket", held: [{ ...failing, endedAt: day(31).getTime() }], unpaid: 0 },
    { name: "another journey ended: still a ticket", held: [{ kind: "purchase" as const, key: "sub_1", startedAt: day(0).getTime(), endedAt: day(31).getTime() }], unpaid: 1 },
  ])("$name", ({ held, unpaid }) => {
    expect(derive(renewalFails(), day(34), overrides([], held)).unpaidAfterGrace).toHaveLength(unpaid);
  });
});

describe("planIntents after overrides: what the outbox is asked to do", () => {
  const grant = (state: HeldGrant["state"], version = 1): HeldGrant => ({ accessGroupId: 101, state, version });
  const heldTag = (tagId: number, state: HeldTag["state"], version = 1): HeldTag => ({ tagId, state, version });
  it.each<{ name: string; events: CanonicalEvent[]; rows: HeldOverride[]; grants: HeldGrant[]; tags: HeldTag[]; intents: Intent[] }>([
    { name: "a ban on a held grant: revoke", events: monthlyPurchase(), rows: [access(101, "deny")], grants: [grant("active")], tags: [heldTag(10, "applied"), heldTag(20, "applied")], intents: [{ kind: "circle.revoke", accessGroupId: 101, version: 2 }] },
    {
      name: "a ban, then a renewal paid: nothing (not re-granted)",
      events: [...monthlyPurchase(), invoicePaid("e09", day(30), { invoiceId: "in_9", paymentRef: "pi_9", periodEnd: day(60) })],
      rows: [access(101, "deny")],
      grants: [grant("revoked", 2)],
      tags: [heldTag(10, "applied"), heldTag(20, "applied")],
      intents: [],
    },
    { name: "a comp for a refunded customer: grant", events: refundedCourse(), rows: [access(103, "allow")], grants: [], tags: [heldTag(60, "applied"), heldTag(11, "removed"), heldTag(50, "removed")], intents: [{ kind: "circle.grant", accessGroupId: 103, version: 1 }] },
    { name: "a tag kept off: untag once", events: monthlyPurchase(), rows: [tag(10, "deny")], grants: [grant("active")], tags: [heldTag(10, "applied"), heldTag(20, "applied")], intents: [{ kind: "kit.untag", tagId: 10, version: 2 }] },
    { name: "a tag kept off and removed: nothing more", events: monthlyPurchase(), rows: [tag(10, "deny")], grants: [grant("active")], tags: [heldTag(10, "removed", 2), heldTag(20, "applied")], intents: [] },
  ])("$name", ({ events, rows, grants, tags, intents }) => {
    expect(planIntents({ grants, tags }, derive(events, day(31), overrides(rows)))).toEqual(intents);
  });
});

describe("overrideRequest", () => {
  it.each([
    [{ action: "grantAccess", reason: "comp for the outage", accessGroupId: 101 }, { action: "grantAccess", reason: "comp for the outage", accessGroupId: 101 }],
    [{ action: "revokeAccess", reason: "  chargeback fraud  ", accessGroupId: 101, expectedVersion: "abc" }, { action: "revokeAccess", reason: "chargeback fraud", accessGroupId: 101, expectedVersion: "abc" }],
    [{ action: "removeTag", reason: "asked to stop", tagId: 50, actor: "admin:mallory" }, { action: "removeTag", reason: "asked to stop", tagId: 50 }],
    [{ action: "endJourney", reason: "paid by transfer", journeyId: "j1" }, { action: "endJourney", reason: "paid by transfer", journeyId: "j1" }],
    [{ action: "resendInvite", reason: "lost the email" }, { action: "resendInvite", reason: "lost the email" }],
    [{ action: "linkEmail", reason: "work address", email: " Ada@Work.Example " }, { action: "linkEmail", reason: "work address", email: "ada@work.example" }],
    [{ action: "linkStripeCustomer", reason: "second card", stripeCustomerId: "cus_Abc123" }, { action: "linkStripeCustomer", reason: "second card", stripeCustomerId: "cus_Abc123" }],
    [{ action: "merge", reason: "typo at checkout", otherCustomerId: "c2" }, { action: "merge", reason: "typo at checkout", otherCustomerId: "c2" }],
    [{ action: "clearOverride", reason: "goodwill over", scope: "access", targetId: 101 }, { action: "clearOverride", reason: "goodwill over", scope: "access", targetId: 101 }],
  ])("accepts %j", (body, parsed) => {
    expect(overrideRequest.parse(body)).toEqual(parsed);
  });

  it.each([
    [{ action: "grantAccess", accessGroupId: 101 }, "reason: say why (3 to 500 characters)"],
    [{ action: "grantAccess", reason: "  no ", accessGroupId: 101 }, "reason: say why (3 to 500 characters)"],
    [{ action: "grantAccess", reason: "x".repeat(501), accessGroupId: 101 }, "reason: say why (3 to 500 characters)"],
    [{ action: "grantAccess" }, "reason: say why (3 to 500 characters); accessGroupId: an access group id of the plan catalog (a number)"],
    [{ action: "addTag", reason: "because", tagId: "10" }, "tagId: a Kit tag id of the plan catalog (a number)"],
    [{ action: "linkEmail", reason: "because", email: "not-an-address" }, "email: an email address"],
    [{ action: "linkStripeCustomer", reason: "because", stripeCustomerId: "sub_1" }, "stripeCustomerId: a Stripe customer id (cus_...)"],
    [{ action: "clearOverride", reason: "because", scope: "journey", targetId: 101 }, "scope: access or tag"],
    [{ action: "clearOverride", reason: "because", scope: "tag", targetId: -3 }, "targetId: the access group or tag id the override is on (a number)"],
    [{ action: "ban", reason: "because" }, "action: one of grantAccess, revokeAccess, addTag, removeTag, endJourney, resendInvite, linkEmail, linkStripeCustomer, merge, clearOverride"],
  ])("refuses %j with %j", (body, message) => {
    const result = overrideRequest.safeParse(body);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toBe(message);
  });
});
