import { stripeEvent } from "../../lib/sandbox/stripe-events";

// Pure and seeded: the chaos run's customers and the Stripe events of their lifecycles
// (purchase, trial, renewal, failed payment and recovery, cancel at period end, refund,
// dispute, email change, resubscribe, one-time purchases), then the deliveries: some events
// delivered more than once, all shuffled within a reordering window. The same seed gives the
// same events, ids and delivery order, so a failing run replays exactly.

export const CHAOS_PRICES = { community: "price_demo_community_monthly", masterclass: "price_demo_masterclass" } as const;

/** Every event happens inside this span, well before any run: derived at run time, nothing is still changing with the clock. */
const TIMELINE_START = Date.UTC(2025, 0, 1) / 1000;
const TIMELINE_END = Date.UTC(2026, 9, 1) / 1000;
const DAY = 86_400;

/** mulberry32: small, fast, and the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type StripeEnvelope = ReturnType<typeof stripeEvent>;

export interface ChaosCustomer {
  index: number;
  stripeCustomerId: string;
  /** Every address the customer had, the first one first. */
  emails: string[];
}

export interface ChaosEvent {
  customer: number;
  envelope: StripeEnvelope;
}

export interface Scenario {
  seed: number;
  customers: ChaosCustomer[];
  /** In provider time order. */
  events: ChaosEvent[];
}

export interface Delivery {
  /** Index into the scenario's events. */
  event: number;
  /** 0 for the first delivery of an event, 1 and up for its repeats. */
  copy: number;
}

/** Splits `total` events over `customers` at random (each between half and one and a half times the mean, at least one). */
function budgets(random: () => number, total: number, customers: number): number[] {
  const weights = Array.from({ length: customers }, () => 0.5 + random());
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((weight) => Math.max(1, Math.floor((total * weight) / sum)));
  let left = total - shares.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % customers, left--) shares[i]! += 1;
  return shares;
}

interface Subscription {
  id: string;
  periodEnd: number;
  trialing: boolean;
  lastPayment: { paymentIntent: string; charge: string } | null;
}

/** One customer's lifecycle, event by event, until its budget of events is spent or the timeline ends. */
function lifecycle(random: () => number, customer: ChaosCustomer, prefix: string, budget: number, nextEventId: () => string): StripeEnvelope[] {
  const out: StripeEnvelope[] = [];
  const chance = (p: number) => random() < p;
  const days = (min: number, max: number) => Math.floor((min + random() * (max - min)) * DAY);
  let serial = 0;
  const id = (kind: string) => `${kind}_${prefix}x${customer.index}x${serial++}`;
  let email = customer.emails[0]!;
  let at = TIMELINE_START + days(0, 120);
  const full = () => out.length >= budget || at > TIMELINE_END - 60 * DAY;
  const emit = (type: string, object: Record<string, unknown>, created = at) => {
    if (out.length < budget) out.push(stripeEvent({ id: nextEventId(), type, created, object }));
  };
  const cus = customer.stripeCustomerId;

  const subscriptionObject = (sub: Subscription, status: string, extra: { cancelAtPeriodEnd?: boolean; endedAt?: number | null } = {}) => ({
    id: sub.id,
    object: "subscription",
    customer: cus,
    status,
    cancel_at_period_end: extra.cancelAtPeriodEnd ?? false,
    cancel_at: null,
    ended_at: extra.endedAt ?? null,
    items: { object: "list", data: [{ id: `si_${sub.id}`, object: "subscription_item", price: { id: CHAOS_PRICES.community, object: "price" }, current_period_end: sub.periodEnd }] },
    metadata: {},
  });
  const invoiceObject = (sub: Subscription, invoiceId: string, paid: boolean, periodStart: number) => ({
    id: invoiceId,
    object: "invoice",
    customer: cus,
    customer_email: email,
    customer_name: null,
    status: paid ? "paid" : "open",
    parent: { type: "subscription_details", subscription_details: { subscription: sub.id, metadata: {} } },
    lines: { object: "list", data: [{ id: `il_${invoiceId}`, pricing: { type: "price_details", price_details: { price: CHAOS_PRICES.community, product: "prod_chaos" } }, period: { start: periodStart, end: sub.periodEnd } }] },
    next_payment_attempt: paid ? null : at + 3 * DAY,
  });
  const pay = (sub: Subscription, invoiceId: string, periodStart: number) => {
    sub.lastPayment = { paymentIntent: id("pi"), charge: id("ch") };
    emit("invoice.paid", invoiceObject(sub, invoiceId, true, periodStart));
    emit("invoice_payment.paid", {
      id: id("inpay"),
      object: "invoice_payment",
      invoice: invoiceId,
      status: "paid",
      payment: { type: "payment_intent", payment_intent: sub.lastPayment.paymentIntent, charge: sub.lastPayment.charge },
    });
  };
  const charge = (payment: { paymentIntent: string; charge: string }) => ({
    id: payment.charge,
    object: "charge",
    customer: cus,
    payment_intent: payment.paymentIntent,
    amount: 2000,
    amount_refunded: 2000,
    refunded: true,
    receipt_email: email,
    billing_details: { email, name: null },
  });
  const reverse = (payment: { paymentIntent: string; charge: string }) => {
    if (chance(0.75)) emit("charge.refunded", charge(payment));
    else emit("charge.dispute.created", { id: id("dp"), object: "dispute", charge: payment.charge, payment_intent: payment.paymentIntent, reason: "fraudulent", status: "needs_response" });
  };

  const oneTimePurchase = () => {
    const payment = { paymentIntent: id("pi"), charge: id("ch") };
    emit("checkout.session.completed", {
      id: id("cs"),
      object: "checkout.session",
      mode: "payment",
      payment_status: "paid",
      status: "complete",
      customer: cus,
      customer_email: null,
      customer_details: { email, name: null },
      subscription: null,
      payment_intent: payment.paymentIntent,
      payment_link: null,
      metadata: { price_id: CHAOS_PRICES.masterclass },
    });
    if (chance(0.15)) {
      at += days(1, 20);
      reverse(payment);
    }
  };

  const changeEmail = () => {
    email = `${customer.emails[0]!.split("@")[0]}.${customer.emails.length}@chaos.example`;
    customer.emails.push(email);
    emit("customer.updated", { id: cus, object: "customer", email, name: null });
  };

  /** A subscription from checkout to its end (or the end of the budget). */
  const subscription = (trial: boolean) => {
    const sub: Subscription = { id: id("sub"), periodEnd: at + (trial ? 14 : 30) * DAY, trialing: trial, lastPayment: null };
    emit("checkout.session.completed", {
      id: id("cs"),
      object: "checkout.session",
      mode: "subscription",
      payment_status: trial ? "no_payment_required" : "paid",
      status: "complete",
      customer: cus,
      customer_email: null,
      customer_details: { email, name: null },
      subscription: sub.id,
      payment_intent: null,
      payment_link: null,
      metadata: { price_id: CHAOS_PRICES.community },
    });
    emit("customer.subscription.created", subscriptionObject(sub, trial ? "trialing" : "active"));
    if (!trial) pay(sub, id("in"), at);
    while (!full()) {
      if (sub.trialing && chance(0.3)) {
        at = sub.periodEnd;
        emit("customer.subscription.deleted", subscriptionObject(sub, "canceled", { endedAt: at }));
        return;
      }
      if (chance(0.07)) {
        at += days(1, 20);
        changeEmail();
      }
      if (chance(0.05)) {
        at += days(1, 10);
        oneTimePurchase();
      }
      const roll = random();
      if (roll < 0.08 && !sub.trialing) {
        // Cancel at period end: the request, then the end.
        at += days(1, 20);
        emit("customer.subscription.updated", subscriptionObject(sub, "active", { cancelAtPeriodEnd: true }));
        at = Math.max(at + DAY, sub.periodEnd);
        emit("customer.subscription.deleted", subscriptionObject(sub, "canceled", { cancelAtPeriodEnd: true, endedAt: at }));
        return;
      }
      if (roll < 0.14 && sub.lastPayment) {
        // Refund or dispute of the last payment; the merchant ends the subscription.
        at += days(1, 15);
        reverse(sub.lastPayment);
        emit("customer.subscription.deleted", subscriptionObject(sub, "canceled", { endedAt: at }));
        return;
      }
      const periodStart = sub.periodEnd;
      at = periodStart;
      const invoiceId = id("in");
      if (roll < 0.28) {
        // A failed renewal: retried and recovered, or retried to the end.
        emit("invoice.payment_failed", invoiceObject(sub, invoiceId, false, periodStart));
        emit("customer.subscription.updated", subscriptionObject(sub, "past_due"));
        at += days(2, 10);
        if (chance(0.3)) {
          emit("customer.subscription.deleted", subscriptionObject(sub, "canceled", { endedAt: at }));
          return;
        }
      }
      sub.trialing = false;
      sub.periodEnd = periodStart + 30 * DAY;
      pay(sub, invoiceId, periodStart);
      emit("customer.subscription.updated", subscriptionObject(sub, "active"));
    }
  };

  while (!full()) {
    const roll = random();
    if (roll < 0.2) oneTimePurchase();
    else subscription(roll < 0.45);
    // A while later the customer comes back (resubscribes, or buys something once).
    at += days(10, 90);
  }
  return out;
}

export function generateScenario(options: { seed: number; events: number; customers: number }): Scenario {
  const random = seededRandom(options.seed);
  const prefix = `c${options.seed.toString(36)}`;
  let eventSerial = 0;
  const nextEventId = () => `evt_${prefix}x${(eventSerial++).toString(36)}`;
  const shares = budgets(random, options.events, options.customers);
  const customers: ChaosCustomer[] = [];
  const events: ChaosEvent[] = [];
  shares.forEach((budget, index) => {
    const customer: ChaosCustomer = { index, stripeCustomerId: `cus_${prefix}x${index}`, emails: [`customer${index}.${prefix}@chaos.example`] };
    customers.push(customer);
    for (const envelope of lifecycle(random, customer, prefix, budget, nextEventId)) events.push({ customer: index, envelope });
  });
  // Stable: one action's same-second events keep the order they were emitted in.
  events.sort((a, b) => a.envelope.created - b.envelope.created);
  return { seed: options.seed, customers, events };
}

export interface DeliveryOptions {
  /** Share of events delivered more than once (a tenth of those three times). */
  duplicateShare: number;
  /** Provider seconds: an event may be delivered after any event up to this much later. */
  reorderWindowSeconds: number;
}

/** 30% delivered twice or more; first deliveries shuffled within a day of provider time, repeats up to three days late (Stripe's retries). */
export const DEFAULT_DELIVERY: DeliveryOptions = { duplicateShare: 0.3, reorderWindowSeconds: DAY };

/** The order the senders deliver the scenario's events in: every event at least once. */
export function planDeliveries(scenario: Scenario, options: DeliveryOptions = DEFAULT_DELIVERY): Delivery[] {
  const random = seededRandom(scenario.seed ^ 0x5eed);
  const keyed: Array<Delivery & { key: number }> = [];
  scenario.events.forEach(({ envelope }, event) => {
    keyed.push({ event, copy: 0, key: envelope.created + random() * options.reorderWindowSeconds });
    const copies = random() < options.duplicateShare ? (random() < 0.1 ? 2 : 1) : 0;
    for (let copy = 1; copy <= copies; copy++) keyed.push({ event, copy, key: envelope.created + random() * 3 * options.reorderWindowSeconds });
  });
  return keyed.sort((a, b) => a.key - b.key).map(({ event, copy }) => ({ event, copy }));
}
