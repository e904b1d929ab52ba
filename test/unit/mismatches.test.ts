import { describe, expect, it } from "vitest";
import { journeyObjects } from "../../lib/admin/customer-view";
import {
  findMismatches,
  hasAccessNow,
  PENDING_GRACE_MS,
  recordSummary,
  type EntitlementFacts,
  type GrantFacts,
  type MismatchInput,
  type TagFacts,
} from "../../lib/admin/mismatches";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import type { CanonicalEvent } from "../../lib/lifecycle/events";

const NOW = new Date("2026-12-01T12:00:00.000Z");
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const ahead = (days: number) => new Date(NOW.getTime() + days * 86_400_000);

const COMMUNITY = 101;
const COURSE = 102;
const TAG = { active: 1, onboarding: 2, pastDue: 3, canceled: 4, refunded: 5, courseActive: 6, promo: 9 };

const catalog = parseCatalog({
  version: 1,
  promotionalTagIds: [TAG.promo],
  plans: [
    {
      key: "monthly",
      name: "Community (monthly)",
      stripePriceIds: ["price_monthly"],
      circleAccessGroupIds: [COMMUNITY],
      kitTagIds: { active: [TAG.active], onboarding: [TAG.onboarding], pastDue: [TAG.pastDue], canceled: [TAG.canceled], refunded: [TAG.refunded] },
    },
    {
      key: "annual",
      name: "Community (annual)",
      stripePriceIds: ["price_annual"],
      circleAccessGroupIds: [COMMUNITY],
      kitTagIds: { active: [TAG.active], onboarding: [TAG.onboarding], canceled: [TAG.canceled], refunded: [TAG.refunded] },
    },
    { key: "course", name: "Course", stripePriceIds: ["price_course"], circleAccessGroupIds: [COURSE], kitTagIds: { active: [TAG.courseActive] } },
  ],
});

const entitlement = (status: EntitlementFacts["status"], fields: Partial<EntitlementFacts> = {}): EntitlementFacts => ({
  planKey: "monthly",
  status,
  accessUntil: ahead(20),
  graceUntil: null,
  ...fields,
});
const grant = (state: GrantFacts["state"], fields: Partial<GrantFacts> = {}): GrantFacts => ({
  accessGroupId: COMMUNITY,
  state,
  lastError: null,
  updatedAt: ago(60),
  ...fields,
});
/** A tag row last synced an hour ago; Kit never seen unless `observedAt` says so. */
const tag = (tagId: number, state: TagFacts["state"], fields: Partial<TagFacts> = {}): TagFacts => ({
  tagId,
  state,
  presentInKit: null,
  observedAt: null,
  syncedAt: ago(60),
  lastError: null,
  updatedAt: ago(60),
  ...fields,
});

/** A paying customer whose every system agrees. */
const healthy = (): MismatchInput => ({
  now: NOW,
  catalog,
  emailStatus: "active",
  entitlements: [entitlement("active")],
  grants: [grant("invited")],
  tags: [tag(TAG.active, "applied"), tag(TAG.onboarding, "applied")],
  overrides: [],
});
const refunded = (): MismatchInput => ({
  ...healthy(),
  entitlements: [entitlement("refunded", { accessUntil: ago(120) })],
  grants: [grant("revoked")],
  tags: [tag(TAG.active, "removed"), tag(TAG.onboarding, "applied"), tag(TAG.refunded, "applied")],
});
const summarized = (input: MismatchInput) => findMismatches(input).map(({ kind, accessGroupId, tagId }) => ({ kind, accessGroupId, tagId }));

describe("findMismatches flags", () => {
  it.each<[string, MismatchInput, Array<{ kind: string; accessGroupId: number | null; tagId: number | null }>]>([
    ["a paid customer whose grant failed", { ...healthy(), grants: [grant("failed", { lastError: "circle 500" })] }, [{ kind: "paid_no_access", accessGroupId: COMMUNITY, tagId: null }]],
    ["a paid customer with no grant row", { ...healthy(), grants: [] }, [{ kind: "paid_no_access", accessGroupId: COMMUNITY, tagId: null }]],
    [
      "a grant pending for longer than the threshold",
      { ...healthy(), grants: [grant("pending", { updatedAt: new Date(NOW.getTime() - PENDING_GRACE_MS - 1) })] },
      [{ kind: "paid_no_access", accessGroupId: COMMUNITY, tagId: null }],
    ],
    ["a paid customer whose access was revoked", { ...healthy(), grants: [grant("revoked")] }, [{ kind: "paid_no_access", accessGroupId: COMMUNITY, tagId: null }]],
    [
      "past due within grace, grant failed",
      { ...healthy(), entitlements: [entitlement("past_due", { graceUntil: ahead(3) })], grants: [grant("failed")], tags: [tag(TAG.active, "applied"), tag(TAG.pastDue, "applied")] },
      [{ kind: "paid_no_access", accessGroupId: COMMUNITY, tagId: null }],
    ],
    [
      "canceled before period end, grant failed",
      { ...healthy(), entitlements: [entitlement("canceled", { accessUntil: ahead(5) })], grants: [grant("failed")], tags: [tag(TAG.active, "applied"), tag(TAG.canceled, "applied")] },
      [{ kind: "paid_no_access", accessGroupId: COMMUNITY, tagId: null }],
    ],
    [
      "a group an admin allowed, still pending long after",
      { ...healthy(), grants: [grant("invited"), grant("pending", { accessGroupId: COURSE, updatedAt: ago(30) })], overrides: [{ scope: "access", targetId: COURSE, effect: "allow" }] },
      [{ kind: "paid_no_access", accessGroupId: COURSE, tagId: null }],
    ],
    ["a refunded customer still active in Circle", { ...refunded(), grants: [grant("active")] }, [{ kind: "access_not_paid", accessGroupId: COMMUNITY, tagId: null }]],
    ["an invited member with no entitlement at all", { ...healthy(), entitlements: [], tags: [] }, [{ kind: "access_not_paid", accessGroupId: COMMUNITY, tagId: null }]],
    [
      "access an admin revoked still held",
      { ...healthy(), grants: [grant("active")], overrides: [{ scope: "access", targetId: COMMUNITY, effect: "deny" }] },
      [{ kind: "access_not_paid", accessGroupId: COMMUNITY, tagId: null }],
    ],
    [
      "access still held half an hour after the paid period ended",
      { ...healthy(), entitlements: [entitlement("canceled", { accessUntil: ago(30) })], tags: [tag(TAG.active, "removed"), tag(TAG.canceled, "applied")] },
      [{ kind: "access_not_paid", accessGroupId: COMMUNITY, tagId: null }],
    ],
    [
      "a paid tag Kit was seen without after our last sync",
      { ...healthy(), tags: [tag(TAG.active, "applied", { presentInKit: false, observedAt: ago(5) }), tag(TAG.onboarding, "applied")] },
      [{ kind: "tag_missing", accessGroupId: null, tagId: TAG.active }],
    ],
    ["a paid tag whose tagging failed", { ...healthy(), tags: [tag(TAG.active, "failed", { lastError: "kit 500" })] }, [{ kind: "tag_missing", accessGroupId: null, tagId: TAG.active }]],
    ["a paid tag the record never applied", { ...healthy(), tags: [] }, [{ kind: "tag_missing", accessGroupId: null, tagId: TAG.active }]],
    [
      "a tag an admin allowed that Kit does not hold",
      { ...healthy(), tags: [...healthy().tags, tag(TAG.promo, "failed")], overrides: [{ scope: "tag", targetId: TAG.promo, effect: "allow" }] },
      [{ kind: "tag_missing", accessGroupId: null, tagId: TAG.promo }],
    ],
    [
      "a refunded customer Kit was seen holding the paid tag",
      { ...refunded(), tags: [tag(TAG.active, "removed", { presentInKit: true, observedAt: ago(5) }), tag(TAG.refunded, "applied")] },
      [{ kind: "tag_extra", accessGroupId: null, tagId: TAG.active }],
    ],
    [
      "a refunded customer whose untag failed",
      { ...refunded(), tags: [tag(TAG.active, "failed", { lastError: "kit 500" }), tag(TAG.refunded, "applied")] },
      [{ kind: "tag_extra", accessGroupId: null, tagId: TAG.active }],
    ],
    [
      "a promotional tag an admin denied that Kit holds",
      { ...healthy(), tags: [...healthy().tags, tag(TAG.promo, "applied", { presentInKit: true, observedAt: ago(1) })], overrides: [{ scope: "tag", targetId: TAG.promo, effect: "deny" }] },
      [{ kind: "tag_extra", accessGroupId: null, tagId: TAG.promo }],
    ],
    ["an unsubscribed customer carrying the paid tag", { ...healthy(), emailStatus: "unsubscribed" }, [{ kind: "unsubscribed_tagged", accessGroupId: null, tagId: TAG.active }]],
  ])("%s", (_case, input, expected) => {
    expect(summarized(input)).toEqual(expected);
  });
});

describe("findMismatches does not flag", () => {
  it.each<[string, MismatchInput]>([
    ["a paying customer whose systems agree", healthy()],
    ["a grant pending for less than the threshold", { ...healthy(), grants: [grant("pending", { updatedAt: ago(2) })] }],
    ["a failed grant for a group an admin revoked", { ...healthy(), grants: [grant("failed")], overrides: [{ scope: "access", targetId: COMMUNITY, effect: "deny" }] }],
    [
      "past due after the grace window, access revoked",
      { ...healthy(), entitlements: [entitlement("past_due", { graceUntil: ago(60 * 24) })], grants: [grant("revoked")], tags: [tag(TAG.active, "removed"), tag(TAG.pastDue, "applied")] },
    ],
    [
      "access still held minutes after the paid period ended (the re-check is due)",
      { ...healthy(), entitlements: [entitlement("canceled", { accessUntil: ago(3) })], tags: [tag(TAG.active, "applied"), tag(TAG.canceled, "pending_add", { updatedAt: ago(1) })] },
    ],
    ["access an admin granted with no plan", { ...healthy(), grants: [grant("invited"), grant("active", { accessGroupId: COURSE })], overrides: [{ scope: "access", targetId: COURSE, effect: "allow" }] }],
    ["an allow override of a group the catalog no longer names", { ...healthy(), overrides: [{ scope: "access", targetId: 999, effect: "allow" }] }],
    ["a refunded customer whose systems agree", refunded()],
    [
      "a tag Kit was seen without before we tagged again",
      { ...healthy(), tags: [tag(TAG.active, "applied", { presentInKit: false, observedAt: ago(90) }), tag(TAG.onboarding, "applied")] },
    ],
    [
      "a tag Kit was seen holding before we took it off",
      { ...refunded(), tags: [tag(TAG.active, "removed", { presentInKit: true, observedAt: ago(90) }), tag(TAG.refunded, "applied")] },
    ],
    ["a tag being added right now", { ...healthy(), tags: [tag(TAG.active, "pending_add", { updatedAt: ago(1) })] }],
    ["a tag being removed right now", { ...refunded(), tags: [tag(TAG.active, "pending_remove", { updatedAt: ago(1) }), tag(TAG.refunded, "applied")] }],
    ["an onboarding tag taken off in Kit (we never remove it, nor watch it)", { ...healthy(), tags: [tag(TAG.active, "applied"), tag(TAG.onboarding, "applied", { presentInKit: false, observedAt: ago(1) })] }],
    ["an unsubscribed customer with no paid tag left", { ...refunded(), emailStatus: "unsubscribed" }],
    [
      "two plans sharing a group: one refunded, one active",
      { ...healthy(), entitlements: [entitlement("refunded", { accessUntil: ago(120) }), entitlement("active", { planKey: "annual" })], tags: [tag(TAG.active, "applied"), tag(TAG.refunded, "applied")] },
    ],
  ])("%s", (_case, input) => {
    expect(findMismatches(input)).toEqual([]);
  });
});

describe("a mismatch explains itself and says what to do", () => {
  it("names the provider's error and the fix", () => {
    expect(findMismatches({ ...healthy(), grants: [grant("failed", { lastError: "circle addToAccessGroup: 500" })] })).toEqual([
      {
        kind: "paid_no_access",
        accessGroupId: COMMUNITY,
        tagId: null,
        explanation: "the customer's plan grants this group, but granting access in Circle failed: circle addToAccessGroup: 500",
        fix: "replay the dead grant job once Circle is fine, or resend the invite",
      },
    ]);
    expect(findMismatches({ ...refunded(), grants: [grant("active")] })[0]).toMatchObject({ fix: "revoke access (or grant it on purpose with an override)" });
    expect(findMismatches({ ...healthy(), grants: [grant("revoked")] })[0]).toMatchObject({ fix: "resend the invite (grant access again)" });
  });
});

describe("hasAccessNow", () => {
  it.each<[string, EntitlementFacts, boolean]>([
    ["active", entitlement("active"), true],
    ["trialing", entitlement("trialing"), true],
    ["active one-time purchase (no end)", entitlement("active", { accessUntil: null }), true],
    ["past due within grace", entitlement("past_due", { graceUntil: ahead(1) }), true],
    ["past due after grace", entitlement("past_due", { graceUntil: ago(1) }), false],
    ["canceled before period end", entitlement("canceled", { accessUntil: ahead(1) }), true],
    ["canceled after period end", entitlement("canceled", { accessUntil: ago(1) }), false],
    ["refunded", entitlement("refunded"), false],
    ["expired", entitlement("expired"), false],
  ])("%s: %s", (_case, row, expected) => {
    expect(hasAccessNow(row, NOW)).toBe(expected);
  });
});

describe("recordSummary", () => {
  it.each<[string, EntitlementFacts[], ReturnType<typeof recordSummary>]>([
    ["no entitlement", [], { status: "none", hasAccess: false, plans: [], accessUntil: null, graceUntil: null }],
    ["one active subscription", [entitlement("active")], { status: "active", hasAccess: true, plans: ["monthly"], accessUntil: ahead(20), graceUntil: null }],
    [
      "past due within grace: access lasts until the grace ends",
      [entitlement("past_due", { accessUntil: ahead(3), graceUntil: ahead(3) })],
      { status: "past_due", hasAccess: true, plans: ["monthly"], accessUntil: ahead(3), graceUntil: ahead(3) },
    ],
    [
      "refunded and a later active course: the most favourable status",
      [entitlement("refunded", { accessUntil: ago(60) }), entitlement("active", { planKey: "course", accessUntil: null })],
      { status: "active", hasAccess: true, plans: ["monthly", "course"], accessUntil: null, graceUntil: null },
    ],
    [
      "canceled with access until the later of two ends",
      [entitlement("canceled", { accessUntil: ahead(2) }), entitlement("canceled", { planKey: "annual", accessUntil: ahead(9) })],
      { status: "canceled", hasAccess: true, plans: ["monthly", "annual"], accessUntil: ahead(9), graceUntil: null },
    ],
    ["expired", [entitlement("expired", { accessUntil: ago(600) })], { status: "expired", hasAccess: false, plans: ["monthly"], accessUntil: null, graceUntil: null }],
  ])("%s", (_case, rows, expected) => {
    expect(recordSummary(rows, NOW)).toEqual(expected);
  });
});

describe("journeyObjects: the Stripe objects an event names, which key its journeys", () => {
  const identity = { stripeCustomerId: "cus_1", email: "a@example.com", name: null };
  const base = { eventId: "e", at: NOW };
  it.each<[string, CanonicalEvent, string[]]>([
    [
      "a checkout: the subscription it started",
      { ...base, kind: "checkout_completed", identity, sourceId: "sub_1", oneTime: false, paid: true, charged: true, planKey: null, priceIds: [], paymentLinkId: null, paymentRef: "pi_1" },
      ["sub_1"],
    ],
    [
      "a subscription change",
      { ...base, kind: "subscription_changed", identity, subscriptionId: "sub_1", status: "active", priceIds: [], planKey: null, currentPeriodEnd: null, cancelAtPeriodEnd: false, endedAt: null, deleted: false },
      ["sub_1"],
    ],
    ["a failed invoice: its failure episode and its subscription", { ...base, kind: "invoice_payment_failed", identity, invoiceId: "in_1", subscriptionId: "sub_1", nextAttemptAt: null }, ["in_1", "sub_1"]],
    ["a paid one-off invoice", { ...base, kind: "invoice_paid", identity, invoiceId: "in_2", subscriptionId: null, priceIds: [], periodEnd: null, paymentRef: null }, ["in_2"]],
    ["a refund: its charge", { ...base, kind: "charge_refunded", identity, chargeId: "ch_1", paymentRef: "pi_1", fullyRefunded: true }, ["ch_1"]],
    ["a dispute: itself and its charge", { ...base, kind: "dispute_opened", identity, disputeId: "dp_1", chargeId: "ch_1", paymentRef: null }, ["dp_1", "ch_1"]],
    ["a Kit tag change: none", { ...base, kind: "kit_tag_changed", kitSubscriberId: 7, email: "a@example.com", tagId: 1, present: false }, []],
  ])("%s", (_case, event, expected) => {
    expect(journeyObjects(event)).toEqual(expected);
  });
});
