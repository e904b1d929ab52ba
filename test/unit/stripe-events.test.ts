import { describe, expect, it } from "vitest";
import type { CanonicalEvent } from "../../lib/lifecycle/events";
import { handledStripeTypes, normalizeStripeEvent, stripeEnvelopeSchema } from "../../lib/lifecycle/stripe-events";

const CREATED = 1_767_225_600;
const AT = new Date(CREATED * 1000);
const PERIOD_END = CREATED + 30 * 86_400;

type Obj = Record<string, unknown>;

const envelope = (type: string, object: Obj, o: Obj = {}) => ({
  id: "evt_1Test",
  object: "event",
  api_version: "2026-10-28.endive",
  created: CREATED,
  livemode: false,
  pending_webhooks: 1,
  request: { id: "req_1", idempotency_key: null },
  type,
  data: { object, previous_attributes: {} },
  ...o,
});

const normalize = (type: string, object: Obj) => normalizeStripeEvent(stripeEnvelopeSchema.parse(envelope(type, object)));

const session = (o: Obj = {}): Obj => ({
  id: "cs_test_a1",
  object: "checkout.session",
  mode: "subscription",
  status: "complete",
  payment_status: "paid",
  amount_total: 2900,
  currency: "usd",
  customer: "cus_1",
  customer_email: null,
  customer_details: { email: "Ada@Example.com", name: "Ada Lovelace", phone: null, address: null, tax_exempt: "none" },
  subscription: "sub_1",
  payment_intent: null,
  payment_link: null,
  metadata: {},
  ...o,
});

const item = (priceId: string, o: Obj = {}): Obj => ({
  id: `si_${priceId}`,
  object: "subscription_item",
  price: { id: priceId, object: "price", product: "prod_1", unit_amount: 2900, recurring: { interval: "month" } },
  quantity: 1,
  current_period_start: CREATED,
  current_period_end: PERIOD_END,
  ...o,
});

const sub = (o: Obj = {}): Obj => ({
  id: "sub_1",
  object: "subscription",
  customer: "cus_1",
  status: "active",
  cancel_at_period_end: false,
  cancel_at: null,
  canceled_at: null,
  ended_at: null,
  items: { object: "list", data: [item("price_monthly")], has_more: false },
  metadata: {},
  ...o,
});

const line = (priceId: string, end = PERIOD_END, o: Obj = {}): Obj => ({
  id: `il_${priceId}`,
  object: "line_item",
  amount: 2900,
  period: { start: CREATED, end },
  pricing: { type: "price_details", price_details: { price: priceId, product: "prod_1" }, unit_amount_decimal: "2900" },
  ...o,
});

const invoice = (o: Obj = {}): Obj => ({
  id: "in_1",
  object: "invoice",
  customer: "cus_1",
  customer_email: "ada@example.com",
  customer_name: "Ada Lovelace",
  status: "paid",
  amount_paid: 2900,
  billing_reason: "subscription_cycle",
  parent: { type: "subscription_details", subscription_details: { subscription: "sub_1", metadata: {} } },
  lines: { object: "list", data: [line("price_monthly")], has_more: false },
  payments: { object: "list", data: [{ id: "inpay_1", object: "invoice_payment", payment: { type: "payment_intent", payment_intent: "pi_1" } }] },
  next_payment_attempt: null,
  ...o,
});

const charge = (o: Obj = {}): Obj => ({
  id: "ch_1",
  object: "charge",
  customer: "cus_1",
  payment_intent: "pi_1",
  amount: 2900,
  amount_refunded: 2900,
  refunded: true,
  receipt_email: "ada@example.com",
  billing_details: { email: null, name: "Ada Lovelace", address: null, phone: null },
  ...o,
});

const disputeObject = (o: Obj = {}): Obj => ({
  id: "dp_1",
  object: "dispute",
  charge: "ch_1",
  payment_intent: "pi_1",
  amount: 2900,
  reason: "fraudulent",
  status: "needs_response",
  ...o,
});

const customerObject = (o: Obj = {}): Obj => ({
  id: "cus_1",
  object: "customer",
  email: "ada@example.com",
  name: "Ada Lovelace",
  metadata: {},
  ...o,
});

const base = { eventId: "evt_1Test", at: AT };
const ada = { stripeCustomerId: "cus_1", email: "ada@example.com", name: "Ada Lovelace" };

describe("normalizeStripeEvent: every handled type", () => {
  const rows: Array<[string, Obj, CanonicalEvent]> = [
    [
      "checkout.session.completed",
      session(),
      {
        ...base,
        kind: "checkout_completed",
        identity: ada,
        sourceId: "sub_1",
        oneTime: false,
        paid: true,
        charged: true,
        planKey: null,
        priceIds: [],
        paymentLinkId: null,
        paymentRef: null,
      },
    ],
    [
      "checkout.session.async_payment_succeeded",
      session({ mode: "payment", subscription: null, payment_intent: "pi_9", payment_link: "plink_1", metadata: { plan: "course", price_id: "price_course" } }),
      {
        ...base,
        kind: "checkout_completed",
        identity: ada,
        sourceId: "cs_test_a1",
        oneTime: true,
        paid: true,
        charged: true,
        planKey: "course",
        priceIds: ["price_course"],
        paymentLinkId: "plink_1",
        paymentRef: "pi_9",
      },
    ],
    ...(["customer.subscription.created", "customer.subscription.updated"] as const).map((type): [string, Obj, CanonicalEvent] => [
      type,
      sub({ metadata: { plan: "monthly" } }),
      {
        ...base,
        kind: "subscription_changed",
        identity: { stripeCustomerId: "cus_1", email: null, name: null },
        subscriptionId: "sub_1",
        status: "active",
        priceIds: ["price_monthly"],
        planKey: "monthly",
        currentPeriodEnd: new Date(PERIOD_END * 1000),
        cancelAtPeriodEnd: false,
        endedAt: null,
        deleted: false,
      },
    ]),
    [
      "customer.subscription.deleted",
      sub({ status: "canceled", ended_at: CREATED, canceled_at: CREATED }),
      {
        ...base,
        kind: "subscription_changed",
        identity: { stripeCustomerId: "cus_1", email: null, name: null },
        subscriptionId: "sub_1",
        status: "canceled",
        priceIds: ["price_monthly"],
        planKey: null,
        currentPeriodEnd: new Date(PERIOD_END * 1000),
        cancelAtPeriodEnd: false,
        endedAt: AT,
        deleted: true,
      },
    ],
    [
      "invoice.paid",
      invoice(),
      {
        ...base,
        kind: "invoice_paid",
        identity: ada,
        invoiceId: "in_1",
        subscriptionId: "sub_1",
        priceIds: ["price_monthly"],
        periodEnd: new Date(PERIOD_END * 1000),
        paymentRef: "pi_1",
      },
    ],
    [
      "invoice.payment_failed",
      invoice({ status: "open", payments: null, next_payment_attempt: CREATED + 86_400 }),
      {
        ...base,
        kind: "invoice_payment_failed",
        identity: ada,
        invoiceId: "in_1",
        subscriptionId: "sub_1",
        nextAttemptAt: new Date((CREATED + 86_400) * 1000),
      },
    ],
    [
      "invoice_payment.paid",
      { id: "inpay_1", object: "invoice_payment", invoice: "in_1", status: "paid", payment: { type: "payment_intent", payment_intent: "pi_1", charge: "ch_1" } },
      {
        ...base,
        kind: "invoice_payment_paid",
        identity: { stripeCustomerId: null, email: null, name: null },
        invoiceId: "in_1",
        paymentRef: "pi_1",
        chargeRef: "ch_1",
      },
    ],
    [
      "charge.refunded",
      charge(),
      { ...base, kind: "charge_refunded", identity: ada, chargeId: "ch_1", paymentRef: "pi_1", fullyRefunded: true },
    ],
    [
      "charge.dispute.created",
      disputeObject(),
      {
        ...base,
        kind: "dispute_opened",
        identity: { stripeCustomerId: null, email: null, name: null },
        disputeId: "dp_1",
        chargeId: "ch_1",
        paymentRef: "pi_1",
      },
    ],
    ["customer.updated", customerObject(), { ...base, kind: "customer_updated", identity: ada }],
  ];

  it("the table covers every handled type", () => {
    expect(new Set(rows.map(([type]) => type))).toEqual(handledStripeTypes);
  });

  it.each(rows)("%s", (type, object, expected) => {
    expect(normalize(type, object)).toEqual({ ok: true, event: expected });
  });
});

describe("normalizeStripeEvent: field variants", () => {
  const pick = (type: string, object: Obj) => {
    const result = normalize(type, object);
    if (!result.ok) throw new Error(result.error);
    return result.event as unknown as Record<string, unknown>;
  };

  it.each<[string, string, Obj, Obj]>([
    ["pre-2025 invoice.subscription at top level", "invoice.paid", invoice({ parent: null, subscription: "sub_old" }), { subscriptionId: "sub_old" }],
    ["pre-2025 invoice.subscription, expanded", "invoice.payment_failed", invoice({ parent: undefined, subscription: { id: "sub_old", object: "subscription" } }), { subscriptionId: "sub_old" }],
    ["parent subscription wins over the legacy field", "invoice.paid", invoice({ subscription: "sub_old" }), { subscriptionId: "sub_1" }],
    ["invoice without subscription (one-time)", "invoice.paid", invoice({ parent: null, lines: { data: [line("price_course")] } }), { subscriptionId: null, priceIds: ["price_course"] }],
    ["pre-2025 invoice line price.id", "invoice.paid", invoice({ lines: { data: [{ price: { id: "price_legacy" }, period: { end: PERIOD_END } }] } }), { priceIds: ["price_legacy"] }],
    [
      "current pricing.price_details wins over a legacy price on the same line",
      "invoice.paid",
      invoice({ lines: { data: [line("price_new", PERIOD_END, { price: { id: "price_old" } })] } }),
      { priceIds: ["price_new"] },
    ],
    ["pre-2025 invoice.payment_intent at top level", "invoice.paid", invoice({ payments: null, payment_intent: "pi_old" }), { paymentRef: "pi_old" }],
    ["no payment reference at all", "invoice.paid", invoice({ payments: null }), { paymentRef: null }],
    ["invoice without lines", "invoice.paid", invoice({ lines: null }), { priceIds: [], periodEnd: null }],
    [
      "invoice period end is the latest line's",
      "invoice.paid",
      invoice({ lines: { data: [line("price_a", PERIOD_END), line("price_b", PERIOD_END + 100)] } }),
      { periodEnd: new Date((PERIOD_END + 100) * 1000), priceIds: ["price_a", "price_b"] },
    ],
    [
      "pre-2025 subscription.current_period_end at top level",
      "customer.subscription.updated",
      sub({ current_period_end: PERIOD_END + 5, items: { data: [{ price: { id: "price_monthly" } }] } }),
      { currentPeriodEnd: new Date((PERIOD_END + 5) * 1000) },
    ],
    [
      "item period end wins over the top-level one",
      "customer.subscription.updated",
      sub({ current_period_end: PERIOD_END + 5 }),
      { currentPeriodEnd: new Date(PERIOD_END * 1000) },
    ],
    [
      "latest item period end across items",
      "customer.subscription.updated",
      sub({ items: { data: [item("price_a"), item("price_b", { current_period_end: PERIOD_END + 9 })] } }),
      { currentPeriodEnd: new Date((PERIOD_END + 9) * 1000), priceIds: ["price_a", "price_b"] },
    ],
    ["no period end anywhere", "customer.subscription.updated", sub({ items: { data: [{ price: { id: "price_a" } }] } }), { currentPeriodEnd: null }],
    ["cancel_at_period_end", "customer.subscription.updated", sub({ cancel_at_period_end: true, cancel_at: PERIOD_END }), { cancelAtPeriodEnd: true }],
    ["cancel_at alone counts as a scheduled cancellation", "customer.subscription.updated", sub({ cancel_at: PERIOD_END }), { cancelAtPeriodEnd: true }],
    ["cancel_at_period_end missing defaults to false", "customer.subscription.updated", sub({ cancel_at_period_end: undefined }), { cancelAtPeriodEnd: false }],
    ["expanded subscription customer", "customer.subscription.updated", sub({ customer: { id: "cus_x", object: "customer" } }), { identity: { stripeCustomerId: "cus_x", email: null, name: null } }],
    ...(["trialing", "past_due", "unpaid", "incomplete", "incomplete_expired", "paused"] as const).map((status): [string, string, Obj, Obj] => [
      `subscription status ${status}`,
      "customer.subscription.updated",
      sub({ status }),
      { status },
    ]),
    ["checkout, unpaid (async payment pending)", "checkout.session.completed", session({ payment_status: "unpaid" }), { paid: false, charged: false }],
    ["checkout, no payment required (trial or coupon)", "checkout.session.completed", session({ payment_status: "no_payment_required" }), { paid: true, charged: false }],
    ["subscription checkout without subscription id falls back to the session", "checkout.session.completed", session({ subscription: null }), { sourceId: "cs_test_a1", oneTime: false }],
    ["expanded checkout subscription", "checkout.session.completed", session({ subscription: { id: "sub_x" } }), { sourceId: "sub_x" }],
    ["expanded payment intent and link", "checkout.session.completed", session({ mode: "payment", payment_intent: { id: "pi_x" }, payment_link: { id: "plink_x" } }), { paymentRef: "pi_x", paymentLinkId: "plink_x" }],
    ["checkout metadata null", "checkout.session.completed", session({ metadata: null }), { planKey: null, priceIds: [] }],
    ["partial refund", "charge.refunded", charge({ amount_refunded: 1000, refunded: false }), { fullyRefunded: false }],
    ["refunded amount reaching the total without the flag", "charge.refunded", charge({ amount_refunded: 2900, refunded: false }), { fullyRefunded: true }],
    ["refund without payment intent", "charge.refunded", charge({ payment_intent: null }), { paymentRef: null }],
    ["expanded dispute charge", "charge.dispute.created", disputeObject({ charge: { id: "ch_x", object: "charge" }, payment_intent: null }), { chargeId: "ch_x", paymentRef: null }],
  ])("%s", (_name, type, object, expected) => {
    expect(pick(type, object)).toEqual(expect.objectContaining(expected));
  });

  it.each<[string, string, Obj, Obj]>([
    ["checkout: details email trimmed and lower-cased", "checkout.session.completed", session({ customer_details: { email: "  Ada@EXAMPLE.com ", name: null } }), { email: "ada@example.com", name: null }],
    ["checkout: customer_email when details have none", "checkout.session.completed", session({ customer_details: { email: null }, customer_email: "ADA@example.com" }), { email: "ada@example.com" }],
    ["checkout: details email wins over customer_email", "checkout.session.completed", session({ customer_email: "other@example.com" }), { email: "ada@example.com" }],
    ["checkout: no customer yet", "checkout.session.completed", session({ customer: null, customer_details: null, customer_email: null }), { stripeCustomerId: null, email: null, name: null }],
    ["invoice: customer email lower-cased", "invoice.paid", invoice({ customer_email: "Ada@Example.COM" }), { email: "ada@example.com" }],
    ["charge: billing email wins over receipt email", "charge.refunded", charge({ billing_details: { email: " Bill@Example.com", name: null } }), { email: "bill@example.com", name: null }],
    ["charge: receipt email when billing has none", "charge.refunded", charge({ receipt_email: "Receipt@Example.com" }), { email: "receipt@example.com" }],
    ["customer: email lower-cased", "customer.updated", customerObject({ email: "\tAda@Example.com\n" }), { email: "ada@example.com" }],
    ["customer: a string without @ is no email", "customer.updated", customerObject({ email: "not-an-email" }), { email: null }],
    ["customer: empty email is no email", "customer.updated", customerObject({ email: "", name: null }), { email: null, name: null }],
  ])("%s", (_name, type, object, identity) => {
    expect(pick(type, object).identity).toEqual(expect.objectContaining(identity));
  });
});

describe("normalizeStripeEvent: malformed objects", () => {
  it.each<[string, string, Obj, RegExp]>([
    ["checkout without id", "checkout.session.completed", session({ id: undefined }), /^checkout session: id /],
    ["checkout with an unknown mode", "checkout.session.completed", session({ mode: "donation" }), /^checkout session: mode /],
    ["checkout with an unknown payment status", "checkout.session.completed", session({ payment_status: "pending" }), /^checkout session: payment_status /],
    ["subscription without id", "customer.subscription.updated", sub({ id: undefined }), /^subscription: id /],
    ["subscription with an empty id", "customer.subscription.updated", sub({ id: "" }), /^subscription: id /],
    ["subscription with an unknown status", "customer.subscription.updated", sub({ status: "almost_active" }), /^subscription: status /],
    ["subscription without customer", "customer.subscription.created", sub({ customer: undefined }), /^subscription: customer /],
    ["subscription without items", "customer.subscription.deleted", sub({ items: undefined }), /^subscription: items /],
    ["subscription item without price", "customer.subscription.updated", sub({ items: { data: [{ current_period_end: PERIOD_END }] } }), /^subscription: items\.data\.0\.price /],
    ["subscription period end as a string", "customer.subscription.updated", sub({ items: { data: [item("price_a", { current_period_end: "soon" })] } }), /^subscription: items\.data\.0\.current_period_end /],
    ["invoice without id", "invoice.paid", invoice({ id: undefined }), /^invoice: id /],
    ["invoice with a fractional next attempt", "invoice.payment_failed", invoice({ next_payment_attempt: 1.5 }), /^invoice: next_payment_attempt /],
    ["charge without id", "charge.refunded", charge({ id: undefined }), /^charge: id /],
    ["charge amount not a number", "charge.refunded", charge({ amount: "2900" }), /^charge: amount /],
    ["charge amount_refunded missing", "charge.refunded", charge({ amount_refunded: undefined }), /^charge: amount_refunded /],
    ["charge refunded not a boolean", "charge.refunded", charge({ refunded: "yes" }), /^charge: refunded /],
    ["dispute without charge", "charge.dispute.created", disputeObject({ charge: undefined }), /^dispute: charge /],
    ["customer without id", "customer.updated", customerObject({ id: undefined }), /^customer: id /],
    ["customer email not a string", "customer.updated", customerObject({ email: 42 }), /^customer: email /],
  ])("%s", (_name, type, object, message) => {
    const result = normalize(type, object);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });

  it.each(["payment_intent.succeeded", "invoice.created", "customer.deleted", "charge.dispute.closed"])("unhandled type %s -> ok false", (type) => {
    expect(normalize(type, { id: "x" })).toEqual({ ok: false, error: `unhandled event type ${type}` });
  });
});

describe("stripeEnvelopeSchema", () => {
  it("accepts a realistic envelope and keeps only what it reads", () => {
    expect(stripeEnvelopeSchema.parse(envelope("invoice.paid", invoice()))).toEqual({
      id: "evt_1Test",
      type: "invoice.paid",
      created: CREATED,
      data: { object: invoice() },
    });
  });

  it.each<[string, Obj]>([
    ["event id without evt_ prefix", { id: "ev_1" }],
    ["missing type", { type: undefined }],
    ["empty type", { type: "" }],
    ["negative created", { created: -1 }],
    ["created in milliseconds with a fraction", { created: 1.5 }],
    ["created as a string", { created: "1767225600" }],
    ["data without object", { data: {} }],
    ["data.object not an object", { data: { object: "in_1" } }],
  ])("rejects %s", (_name, overrides) => {
    expect(stripeEnvelopeSchema.safeParse(envelope("invoice.paid", invoice(), overrides)).success).toBe(false);
  });
});
