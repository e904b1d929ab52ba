import { parseCatalog } from "../../lib/lifecycle/catalog";
import type { CanonicalEvent, StripeIdentity } from "../../lib/lifecycle/events";

export type EventOf<K extends CanonicalEvent["kind"]> = Extract<CanonicalEvent, { kind: K }>;

export const DAY = 24 * 60 * 60 * 1000;
export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

/** A date `days` (and `seconds`) after T0. */
export const day = (days: number, seconds = 0) => new Date(T0 + days * DAY + seconds * 1000);

export const GRACE_DAYS = 3;

export const catalog = parseCatalog({
  version: 1,
  paymentGraceDays: GRACE_DAYS,
  promotionalTagIds: [50, 11],
  plans: [
    {
      key: "monthly",
      name: "Community (monthly)",
      stripePriceIds: ["price_monthly"],
      stripePaymentLinkIds: ["plink_monthly"],
      circleAccessGroupIds: [101],
      kitTagIds: { active: [10], onboarding: [20], pastDue: [30], canceled: [40], refunded: [60] },
    },
    {
      key: "annual",
      name: "Community (annual)",
      stripePriceIds: ["price_annual"],
      circleAccessGroupIds: [101, 102],
      kitTagIds: { active: [10, 11], onboarding: [20], pastDue: [30], canceled: [40], refunded: [60] },
    },
    {
      key: "course",
      name: "Course (one-time)",
      stripePriceIds: ["price_course"],
      circleAccessGroupIds: [103],
      kitTagIds: { active: [12], onboarding: [21], refunded: [60] },
    },
  ],
});

export const who = (overrides: Partial<StripeIdentity> = {}): StripeIdentity => ({
  stripeCustomerId: "cus_ada",
  email: "ada@example.com",
  name: "Ada",
  ...overrides,
});

export const checkout = (eventId: string, at: Date, o: Partial<EventOf<"checkout_completed">> = {}): EventOf<"checkout_completed"> => ({
  kind: "checkout_completed",
  eventId,
  at,
  identity: who(),
  sourceId: "sub_1",
  oneTime: false,
  paid: true,
  charged: o.paid ?? true,
  planKey: null,
  priceIds: ["price_monthly"],
  paymentLinkId: null,
  paymentRef: null,
  ...o,
});

export const subscription = (
  eventId: string,
  at: Date,
  o: Partial<EventOf<"subscription_changed">> = {},
): EventOf<"subscription_changed"> => ({
  kind: "subscription_changed",
  eventId,
  at,
  identity: who({ email: null, name: null }),
  subscriptionId: "sub_1",
  status: "active",
  priceIds: ["price_monthly"],
  planKey: null,
  currentPeriodEnd: day(30),
  cancelAtPeriodEnd: false,
  endedAt: null,
  deleted: false,
  ...o,
});

export const invoicePaid = (eventId: string, at: Date, o: Partial<EventOf<"invoice_paid">> = {}): EventOf<"invoice_paid"> => ({
  kind: "invoice_paid",
  eventId,
  at,
  identity: who(),
  invoiceId: "in_1",
  subscriptionId: "sub_1",
  priceIds: ["price_monthly"],
  periodEnd: day(30),
  paymentRef: "pi_1",
  ...o,
});

export const invoiceFailed = (
  eventId: string,
  at: Date,
  o: Partial<EventOf<"invoice_payment_failed">> = {},
): EventOf<"invoice_payment_failed"> => ({
  kind: "invoice_payment_failed",
  eventId,
  at,
  identity: who(),
  invoiceId: "in_2",
  subscriptionId: "sub_1",
  nextAttemptAt: null,
  ...o,
});

export const refund = (eventId: string, at: Date, o: Partial<EventOf<"charge_refunded">> = {}): EventOf<"charge_refunded"> => ({
  kind: "charge_refunded",
  eventId,
  at,
  identity: who(),
  chargeId: "ch_1",
  paymentRef: "pi_1",
  fullyRefunded: true,
  ...o,
});

export const dispute = (eventId: string, at: Date, o: Partial<EventOf<"dispute_opened">> = {}): EventOf<"dispute_opened"> => ({
  kind: "dispute_opened",
  eventId,
  at,
  identity: { stripeCustomerId: null, email: null, name: null },
  disputeId: "dp_1",
  chargeId: "ch_1",
  paymentRef: "pi_1",
  ...o,
});

export const customerUpdated = (eventId: string, at: Date, identity: Partial<StripeIdentity> = {}): EventOf<"customer_updated"> => ({
  kind: "customer_updated",
  eventId,
  at,
  identity: who(identity),
});

export const kitState = (
  eventId: string,
  at: Date,
  state: EventOf<"kit_subscriber_state">["state"],
): EventOf<"kit_subscriber_state"> => ({
  kind: "kit_subscriber_state",
  eventId,
  at,
  kitSubscriberId: 7,
  email: "ada@example.com",
  state,
});

export const kitTag = (eventId: string, at: Date, tagId: number, present: boolean): EventOf<"kit_tag_changed"> => ({
  kind: "kit_tag_changed",
  eventId,
  at,
  kitSubscriberId: 7,
  email: "ada@example.com",
  tagId,
  present,
});

export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}
