import { describe, expect, it } from "vitest";
import type { DerivedEntitlement } from "../../lib/lifecycle/derive";
import { deriveDesired, deriveEntitlement } from "../../lib/lifecycle/derive";
import type { CanonicalEvent } from "../../lib/lifecycle/events";
import { applyEvent, compareEvents, emptyFacts, foldEvents } from "../../lib/lifecycle/fold";
import {
  catalog,
  checkout,
  customerUpdated,
  day,
  dispute,
  invoiceFailed,
  invoicePaid,
  kitState,
  kitTag,
  permutations,
  refund,
  subscription,
} from "./builders";

const derive = (events: readonly CanonicalEvent[], now: Date) => deriveDesired(foldEvents(events, catalog), catalog, now);

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

const coursePurchase = (): CanonicalEvent[] => [
  checkout("c01", day(0), { sourceId: "cs_course", oneTime: true, priceIds: ["price_course"], paymentRef: "pi_1" }),
];

const annualActive = (): CanonicalEvent[] => [
  subscription("a01", day(0), { subscriptionId: "sub_2", priceIds: ["price_annual"], currentPeriodEnd: day(40) }),
  invoicePaid("a02", day(0), { invoiceId: "in_a", subscriptionId: "sub_2", priceIds: ["price_annual"], paymentRef: "pi_a", periodEnd: day(40) }),
];

describe("compareEvents", () => {
  const at = day(0);
  it.each<[string, CanonicalEvent, CanonicalEvent, number]>([
    ["earlier provider time first, whatever the kind", kitTag("z", day(0), 1, true), customerUpdated("a", day(0, 1)), -1],
    ["later provider time last", checkout("a", day(1)), invoicePaid("b", day(0)), 1],
    ["customer update before checkout", customerUpdated("z", at), checkout("a", at), -1],
    ["checkout before subscription", checkout("z", at), subscription("a", at), -1],
    ["subscription before invoice paid", subscription("z", at), invoicePaid("a", at), -1],
    ["invoice paid before invoice failed", invoicePaid("z", at), invoiceFailed("a", at), -1],
    ["invoice failed before refund", invoiceFailed("z", at), refund("a", at), -1],
    ["refund before dispute", refund("z", at), dispute("a", at), -1],
    ["dispute before Kit state", dispute("z", at), kitState("a", at, "active"), -1],
    ["Kit state before Kit tag", kitState("z", at, "active"), kitTag("a", at, 1, true), -1],
    ["trialing snapshot before active", subscription("z", at, { status: "trialing" }), subscription("a", at), -1],
    ["active snapshot before past_due", subscription("z", at), subscription("a", at, { status: "past_due" }), -1],
    ["past_due snapshot before canceled", subscription("z", at, { status: "past_due" }), subscription("a", at, { status: "canceled" }), -1],
    ["incomplete snapshot before active", subscription("z", at, { status: "incomplete" }), subscription("a", at), -1],
    ["same kind and status: event id breaks the tie", invoicePaid("a", at), invoicePaid("b", at), -1],
    ["same event id: equal", invoicePaid("a", at), invoicePaid("a", at), 0],
  ])("%s", (_name, a, b, sign) => {
    expect(Math.sign(compareEvents(a, b))).toBe(sign);
    expect(Math.sign(compareEvents(b, a))).toBe(-sign || 0);
  });
});

describe("applyEvent: identity and email", () => {
  it.each([
    ["customer update overwrites the checkout email", [checkout("e1", day(0)), customerUpdated("e2", day(1), { email: "new@example.com", name: "Ada L" })], "new@example.com", "Ada L"],
    [
      "checkout does not overwrite a known email",
      [customerUpdated("e1", day(0), { email: "first@example.com", name: "First" }), checkout("e2", day(1), { identity: { stripeCustomerId: "cus_ada", email: "second@example.com", name: "Second" } })],
      "first@example.com",
      "First",
    ],
    ["customer update without email keeps the known one", [checkout("e1", day(0)), customerUpdated("e2", day(1), { email: null, name: null })], "ada@example.com", "Ada"],
  ])("%s", (_name, events, email, name) => {
    const facts = events.reduce((acc, event) => applyEvent(acc, event, catalog), emptyFacts());
    expect(facts.email).toBe(email);
    expect(facts.name).toBe(name);
  });

  it.each(["unsubscribed", "bounced", "complained", "active"] as const)("Kit subscriber state %s sets emailStatus", (state) => {
    expect(foldEvents([kitState("k1", day(0), state)], catalog).emailStatus).toBe(state);
  });

  it("the latest Kit state in provider time wins, whatever the input order", () => {
    const facts = foldEvents([kitState("k2", day(1), "unsubscribed"), kitState("k1", day(0), "active")], catalog);
    expect(facts.emailStatus).toBe("unsubscribed");
  });

  it("Kit tag changes are observed per tag", () => {
    const facts = foldEvents([kitTag("k1", day(0), 10, true), kitTag("k2", day(1), 10, false), kitTag("k3", day(0), 20, true)], catalog);
    expect(facts.kitTagsObserved).toEqual(
      new Map([
        [10, { present: false, at: day(1) }],
        [20, { present: true, at: day(0) }],
      ]),
    );
  });
});

interface Scenario {
  name: string;
  events: CanonicalEvent[];
  now: Date;
  expected: Partial<DerivedEntitlement>;
}

describe("lifecycle scenarios: one purchase", () => {
  it.each<Scenario>([
    {
      name: "purchase -> active with access until period end",
      events: monthlyPurchase(),
      now: day(1),
      expected: { sourceId: "sub_1", planKey: "monthly", status: "active", hasAccess: true, accessUntil: day(30), lastPaymentStatus: "paid" },
    },
    {
      name: "one-time purchase -> active with no end",
      events: coursePurchase(),
      now: day(400),
      expected: { sourceId: "cs_course", planKey: "course", status: "active", hasAccess: true, accessUntil: null },
    },
    {
      name: "trial -> trialing with access until trial end",
      events: [subscription("e1", day(0), { status: "trialing", currentPeriodEnd: day(14) })],
      now: day(1),
      expected: { status: "trialing", hasAccess: true, accessUntil: day(14) },
    },
    {
      name: "trial checkout that needed no payment -> trialing, and no payment to report",
      events: [
        checkout("e1", day(0), { paid: true, charged: false }),
        subscription("e2", day(0), { status: "trialing", currentPeriodEnd: day(14) }),
      ],
      now: day(1),
      expected: { status: "trialing", hasAccess: true, accessUntil: day(14), lastPaymentAt: null, lastPaymentStatus: null },
    },
    {
      name: "payment failed, inside the grace window -> past_due with access",
      events: renewalFails(),
      now: day(32),
      expected: { status: "past_due", hasAccess: true, graceUntil: day(33), accessUntil: day(33), lastPaymentStatus: "failed" },
    },
    {
      name: "payment failed, after the grace window -> past_due without access",
      events: renewalFails(),
      now: day(33),
      expected: { status: "past_due", hasAccess: false, graceUntil: day(33) },
    },
    {
      name: "Stripe gives up (unpaid) -> no access even inside grace",
      events: [...renewalFails(), subscription("e06", day(31), { status: "unpaid", currentPeriodEnd: day(60) })],
      now: day(31, 1),
      expected: { status: "past_due", hasAccess: false, graceUntil: day(33) },
    },
    {
      name: "a retry of the same invoice keeps the grace window of the first failure",
      events: [...renewalFails(), invoiceFailed("e06", day(32), { invoiceId: "in_2" })],
      now: day(32, 1),
      expected: { status: "past_due", hasAccess: true, graceUntil: day(33) },
    },
    {
      name: "failed then paid -> active",
      events: [
        ...renewalFails(),
        subscription("e06", day(31), { currentPeriodEnd: day(60) }),
        invoicePaid("e07", day(31), { invoiceId: "in_2", paymentRef: "pi_2", periodEnd: day(60) }),
      ],
      now: day(40),
      expected: { status: "active", hasAccess: true, accessUntil: day(60), graceUntil: null, lastPaymentStatus: "paid" },
    },
    {
      name: "failed then paid with no new subscription snapshot -> active",
      events: [...monthlyPurchase(), invoiceFailed("e04", day(30)), invoicePaid("e05", day(31), { invoiceId: "in_2", paymentRef: "pi_2", periodEnd: day(60) })],
      now: day(40),
      expected: { status: "active", hasAccess: true, accessUntil: day(60), graceUntil: null },
    },
    {
      name: "cancel at period end, before the end -> canceled with access",
      events: [...monthlyPurchase(), subscription("e04", day(10), { cancelAtPeriodEnd: true })],
      now: day(29),
      expected: { status: "canceled", hasAccess: true, accessUntil: day(30), cancelAtPeriodEnd: true },
    },
    {
      name: "cancel at period end, at the end -> expired",
      events: [...monthlyPurchase(), subscription("e04", day(10), { cancelAtPeriodEnd: true })],
      now: day(30),
      expected: { status: "expired", hasAccess: false, accessUntil: day(30) },
    },
    {
      name: "cancel then resume -> active again",
      events: [...monthlyPurchase(), subscription("e04", day(10), { cancelAtPeriodEnd: true }), subscription("e05", day(11))],
      now: day(12),
      expected: { status: "active", hasAccess: true, cancelAtPeriodEnd: false },
    },
    {
      name: "subscription deleted -> expired",
      events: [...monthlyPurchase(), subscription("e04", day(30), { status: "canceled", deleted: true, endedAt: day(30) })],
      now: day(30),
      expected: { status: "expired", hasAccess: false, accessUntil: day(30) },
    },
    {
      name: "subscription deleted without ended_at -> ends at the event",
      events: [...monthlyPurchase(), subscription("e04", day(12), { status: "canceled", deleted: true })],
      now: day(13),
      expected: { status: "expired", hasAccess: false, accessUntil: day(12) },
    },
    {
      name: "paused -> expired",
      events: [...monthlyPurchase(), subscription("e04", day(5), { status: "paused" })],
      now: day(6),
      expected: { status: "expired", hasAccess: false, accessUntil: null },
    },
    {
      name: "full refund -> refunded, no access",
      events: [...coursePurchase(), refund("r1", day(2))],
      now: day(3),
      expected: { status: "refunded", hasAccess: false, accessUntil: day(2), lastPaymentStatus: "refunded" },
    },
    {
      name: "partial refund -> unchanged",
      events: [...coursePurchase(), refund("r1", day(2), { fullyRefunded: false })],
      now: day(3),
      expected: { status: "active", hasAccess: true, lastPaymentStatus: "paid" },
    },
    {
      name: "dispute -> refunded",
      events: [...coursePurchase(), dispute("d1", day(4))],
      now: day(5),
      expected: { status: "refunded", hasAccess: false, accessUntil: day(4), lastPaymentStatus: "disputed" },
    },
    {
      name: "dispute naming only a refunded charge -> refunded through the charge id",
      events: [...monthlyPurchase(), refund("r1", day(2), { chargeId: "ch_9", paymentRef: "pi_1" }), dispute("d1", day(3), { chargeId: "ch_9", paymentRef: null })],
      now: day(4),
      expected: { status: "refunded", hasAccess: false, accessUntil: day(2) },
    },
    {
      name: "refund earlier in provider time than the payment it names -> refunded when the payment lands",
      events: [
        checkout("e01", day(0)),
        subscription("e02", day(0)),
        refund("r1", day(0, 5), { paymentRef: "pi_late" }),
        invoicePaid("e03", day(0, 10), { paymentRef: "pi_late" }),
      ],
      now: day(1),
      expected: { status: "refunded", hasAccess: false, accessUntil: day(0, 5) },
    },
    {
      name: "refund naming an unknown payment, after the latest payment -> falls back to that purchase",
      events: [...monthlyPurchase(), refund("r1", day(3), { paymentRef: "pi_unknown", chargeId: "ch_unknown" })],
      now: day(4),
      expected: { status: "refunded", hasAccess: false, accessUntil: day(3) },
    },
    {
      // A later payment does not move it: where a reversal lands depends only on what came before
      // it, so the record is the same whichever order the events arrive in (fold-properties.test.ts).
      name: "refund naming an unknown payment, before a later payment -> stays on the purchase paid last before it",
      events: [
        ...monthlyPurchase(),
        refund("r1", day(3), { paymentRef: "pi_unknown", chargeId: "ch_unknown" }),
        subscription("e04", day(30), { currentPeriodEnd: day(60) }),
        invoicePaid("e05", day(30), { invoiceId: "in_2", paymentRef: "pi_2", periodEnd: day(60) }),
      ],
      now: day(31),
      expected: { status: "refunded", hasAccess: false, accessUntil: day(3) },
    },
    {
      name: "upgrade: the subscription's new price decides the plan",
      events: [
        ...monthlyPurchase(),
        subscription("e04", day(10), { priceIds: ["price_annual"], currentPeriodEnd: day(375) }),
        invoicePaid("e05", day(10), { invoiceId: "in_up", priceIds: ["price_annual"], paymentRef: "pi_up", periodEnd: day(375) }),
      ],
      now: day(11),
      expected: { planKey: "annual", status: "active", accessUntil: day(375) },
    },
    {
      name: "upgrade whose proration is invoiced later: the snapshot alone switches the plan",
      events: [...monthlyPurchase(), subscription("e04", day(10), { priceIds: ["price_annual"] })],
      now: day(11),
      expected: { planKey: "annual", status: "active", accessUntil: day(30) },
    },
    {
      name: "metadata plan key beats the price",
      events: [checkout("e01", day(0), { planKey: "annual" }), subscription("e02", day(0), { priceIds: ["price_other"] })],
      now: day(1),
      expected: { planKey: "annual", status: "active" },
    },
  ])("$name", ({ events, now, expected }) => {
    const desired = derive(events, now);
    expect(desired.entitlements).toEqual([expect.objectContaining(expected)]);
  });

  it.each([
    ["checkout with an unknown price", [checkout("e1", day(0), { priceIds: ["price_other"] })]],
    ["subscription with an unknown price", [subscription("e1", day(0), { priceIds: ["price_other"] }), invoicePaid("e2", day(0), { priceIds: ["price_other"] })]],
    ["unpaid checkout", [checkout("e1", day(0), { sourceId: "cs_1", oneTime: true, paid: false, priceIds: ["price_course"] })]],
    ["incomplete subscription", [subscription("e1", day(0), { status: "incomplete" })]],
  ])("%s -> no entitlement, nothing granted", (_name, events) => {
    const desired = derive(events, day(1));
    expect(desired.entitlements).toEqual([]);
    expect(desired.accessGroupIds.size).toBe(0);
    expect(desired.tagsWanted.size).toBe(0);
    expect(desired.tagsUnwanted).toEqual(new Set([10, 11, 12, 30, 40, 60]));
  });

  it("a late async payment turns an unpaid checkout into an entitlement", () => {
    const events = [
      checkout("e1", day(0), { sourceId: "cs_1", oneTime: true, paid: false, priceIds: ["price_course"], paymentRef: "pi_1" }),
      checkout("e2", day(2), { sourceId: "cs_1", oneTime: true, paid: true, priceIds: ["price_course"], paymentRef: "pi_1" }),
    ];
    expect(derive(events, day(3)).entitlements).toEqual([expect.objectContaining({ status: "active", planKey: "course", lastPaymentAt: day(2) })]);
  });
});

describe("deriveDesired: what the record should hold", () => {
  it.each([
    {
      name: "active monthly: access group, active and onboarding tags",
      events: monthlyPurchase(),
      now: day(1),
      groups: [101],
      wanted: [10, 20],
      unwanted: [11, 12, 30, 40, 60],
      suppressed: [],
    },
    {
      name: "past due in grace: access, active and past-due tags",
      events: renewalFails(),
      now: day(31),
      groups: [101],
      wanted: [10, 30],
      unwanted: [11, 12, 40, 60],
      suppressed: [],
    },
    {
      name: "past due after grace: no access, past-due tag only",
      events: renewalFails(),
      now: day(34),
      groups: [],
      wanted: [30],
      unwanted: [10, 11, 12, 40, 60],
      suppressed: [],
    },
    {
      name: "canceled before period end: access, active and canceled tags",
      events: [...monthlyPurchase(), subscription("e04", day(10), { cancelAtPeriodEnd: true })],
      now: day(20),
      groups: [101],
      wanted: [10, 40],
      unwanted: [11, 12, 30, 60],
      suppressed: [],
    },
    {
      name: "full refund: no access, refunded tag, promotions suppressed",
      events: [...coursePurchase(), refund("r1", day(2))],
      now: day(3),
      groups: [],
      wanted: [60],
      unwanted: [10, 11, 12, 30, 40],
      suppressed: [11, 50],
    },
    {
      name: "monthly expired and annual active: the active tag stays wanted",
      events: [...monthlyPurchase(), subscription("e04", day(5), { status: "canceled", deleted: true, endedAt: day(5) }), ...annualActive()],
      now: day(10),
      groups: [101, 102],
      wanted: [10, 11, 20, 40],
      unwanted: [12, 30, 60],
      suppressed: [],
    },
    {
      name: "course refunded and annual active: a promotion the annual plan grants is not suppressed",
      events: [...coursePurchase(), refund("r1", day(2)), ...annualActive()],
      now: day(3),
      groups: [101, 102],
      wanted: [10, 11, 20, 60],
      unwanted: [12, 30, 40],
      suppressed: [50],
    },
  ])("$name", ({ events, now, groups, wanted, unwanted, suppressed }) => {
    const desired = derive(events, now);
    expect(desired.accessGroupIds).toEqual(new Set(groups));
    expect(desired.tagsWanted).toEqual(new Set(wanted));
    expect(desired.tagsUnwanted).toEqual(new Set(unwanted));
    expect(desired.tagsSuppressed).toEqual(new Set(suppressed));
  });

  it.each([
    { name: "active subscription: its period end", events: monthlyPurchase(), now: day(1), next: day(30) },
    { name: "one-time purchase: nothing to wait for", events: coursePurchase(), now: day(1), next: null },
    { name: "past due in grace: grace end", events: renewalFails(), now: day(31), next: day(33) },
    { name: "past due after grace: nothing", events: renewalFails(), now: day(34), next: null },
    { name: "grace end before another plan's period end", events: [...renewalFails(), ...annualActive()], now: day(31), next: day(33) },
    { name: "after grace, the other plan's period end", events: [...renewalFails(), ...annualActive()], now: day(34), next: day(40) },
    { name: "a period end already past is not a next check", events: monthlyPurchase(), now: day(31), next: null },
    { name: "past period end skipped for a later one", events: [...monthlyPurchase(), ...annualActive()], now: day(35), next: day(40) },
    { name: "earlier period end of two subscriptions", events: [...monthlyPurchase(), ...annualActive()], now: day(1), next: day(30) },
    { name: "canceled at period end: period end", events: [...monthlyPurchase(), subscription("e04", day(10), { cancelAtPeriodEnd: true })], now: day(20), next: day(30) },
    { name: "trial: trial end", events: [subscription("e1", day(0), { status: "trialing", currentPeriodEnd: day(14) })], now: day(1), next: day(14) },
  ])("nextCheckAt, $name", ({ events, now, next }) => {
    expect(derive(events, now).nextCheckAt).toEqual(next);
  });

  it.each([
    { name: "inside grace: nothing unpaid yet", now: day(32), unpaid: [] },
    { name: "after grace: the failing invoice", now: day(34), unpaid: [{ journeyKey: "in_2", planKey: "monthly", graceUntil: day(33) }] },
  ])("unpaidAfterGrace, $name", ({ now, unpaid }) => {
    expect(derive(renewalFails(), now).unpaidAfterGrace).toEqual(unpaid);
  });

  it("unpaidAfterGrace is empty once the failing invoice is paid", () => {
    const events = [
      ...renewalFails(),
      subscription("e06", day(35), { currentPeriodEnd: day(60) }),
      invoicePaid("e07", day(35), { invoiceId: "in_2", paymentRef: "pi_2", periodEnd: day(60) }),
    ];
    expect(derive(events, day(36)).unpaidAfterGrace).toEqual([]);
  });

  it.each([
    {
      name: "a resolved payment failure",
      events: [
        ...renewalFails(),
        subscription("e06", day(31), { currentPeriodEnd: day(60) }),
        invoicePaid("e07", day(31), { invoiceId: "in_2", paymentRef: "pi_2", periodEnd: day(60) }),
      ],
      journeys: [
        { kind: "purchase", key: "sub_1", startedAt: day(0), endedAt: null },
        { kind: "payment_failure", key: "in_2", startedAt: day(30), endedAt: day(31) },
      ],
    },
    {
      name: "a payment failure resolved by the invoice alone",
      events: [...monthlyPurchase(), invoiceFailed("e04", day(30)), invoicePaid("e05", day(32), { invoiceId: "in_2", paymentRef: "pi_2" })],
      journeys: [
        { kind: "purchase", key: "sub_1", startedAt: day(0), endedAt: null },
        { kind: "payment_failure", key: "in_2", startedAt: day(30), endedAt: day(32) },
      ],
    },
    {
      name: "an open payment failure",
      events: renewalFails(),
      journeys: [
        { kind: "purchase", key: "sub_1", startedAt: day(0), endedAt: null },
        { kind: "payment_failure", key: "in_2", startedAt: day(30), endedAt: null },
      ],
    },
    {
      name: "a cancellation that ended",
      events: [
        ...monthlyPurchase(),
        subscription("e04", day(10), { cancelAtPeriodEnd: true }),
        subscription("e05", day(30), { status: "canceled", deleted: true, cancelAtPeriodEnd: true, endedAt: day(30) }),
      ],
      journeys: [
        { kind: "purchase", key: "sub_1", startedAt: day(0), endedAt: day(30) },
        { kind: "cancellation", key: "sub_1", startedAt: day(10), endedAt: day(30) },
      ],
    },
    {
      name: "a refund",
      events: [...coursePurchase(), refund("r1", day(2))],
      journeys: [
        { kind: "purchase", key: "cs_course", startedAt: day(0), endedAt: day(2) },
        { kind: "refund", key: "ch_1", startedAt: day(2), endedAt: null },
      ],
    },
    {
      name: "a dispute",
      events: [...coursePurchase(), dispute("d1", day(4))],
      journeys: [
        { kind: "purchase", key: "cs_course", startedAt: day(0), endedAt: day(4) },
        { kind: "dispute", key: "dp_1", startedAt: day(4), endedAt: null },
      ],
    },
  ])("journeys of $name", ({ events, journeys }) => {
    expect(derive(events, day(100)).journeys).toEqual(journeys);
  });

  it("an entitlement whose plan left the catalog is listed but grants nothing", () => {
    const facts = foldEvents(monthlyPurchase(), catalog);
    const src = facts.sources.get("sub_1")!;
    src.planKey = "retired";
    expect(deriveEntitlement(src, catalog, day(1))).toEqual(expect.objectContaining({ planKey: "retired", status: "active" }));
    const desired = deriveDesired(facts, catalog, day(1));
    expect(desired.accessGroupIds.size).toBe(0);
    expect(desired.tagsWanted.size).toBe(0);
  });
});

describe("foldEvents: delivery order is irrelevant", () => {
  const histories: Array<[string, CanonicalEvent[], Partial<DerivedEntitlement>]> = [
    [
      "same-second purchase with identity and Kit state",
      [
        customerUpdated("s1", day(0), { name: "Ada Lovelace" }),
        checkout("s2", day(0)),
        subscription("s3", day(0)),
        invoicePaid("s4", day(0)),
        kitState("s5", day(0), "unsubscribed"),
      ],
      { status: "active", hasAccess: true, accessUntil: day(30) },
    ],
    [
      "same-second snapshots of a failing renewal",
      [
        checkout("f1", day(0)),
        invoicePaid("f2", day(0)),
        subscription("f3", day(30), { status: "past_due", currentPeriodEnd: day(60) }),
        invoiceFailed("f4", day(30)),
        subscription("f5", day(30), { status: "active", currentPeriodEnd: day(60) }),
      ],
      { status: "past_due", hasAccess: true, graceUntil: day(33) },
    ],
    [
      "same-second purchase and refund",
      [checkout("o1", day(0)), subscription("o2", day(0)), refund("o3", day(0)), invoicePaid("o4", day(0))],
      { status: "refunded", hasAccess: false },
    ],
    [
      "cancel, resume and delete across seconds",
      [
        checkout("c1", day(0)),
        invoicePaid("c2", day(0)),
        subscription("c3", day(5), { cancelAtPeriodEnd: true }),
        subscription("c4", day(6)),
        subscription("c5", day(6), { status: "canceled", deleted: true, endedAt: day(6) }),
      ],
      { status: "expired", hasAccess: false, accessUntil: day(6) },
    ],
  ];

  it.each(histories)("%s: every permutation folds to the same facts and desired state", (_name, events, expected) => {
    const now = day(31);
    const reference = foldEvents(events, catalog);
    const referenceDesired = deriveDesired(reference, catalog, now);
    expect(referenceDesired.entitlements).toEqual([expect.objectContaining(expected)]);
    const orders = permutations(events);
    expect(orders.length).toBeGreaterThanOrEqual(24);
    for (const order of orders) {
      const facts = foldEvents(order, catalog);
      expect(facts).toEqual(reference);
      expect(deriveDesired(facts, catalog, now)).toEqual(referenceDesired);
    }
  });

  it("does not reorder the caller's array", () => {
    const events = [invoicePaid("b", day(1)), checkout("a", day(0))];
    foldEvents(events, catalog);
    expect(events.map((event) => event.eventId)).toEqual(["b", "a"]);
  });
});
