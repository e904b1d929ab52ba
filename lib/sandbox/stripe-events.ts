import Stripe from "stripe";
import type { LedgerEntry } from "../webhooks/ledger";
import { handledStripeTypes } from "../lifecycle/stripe-events";

// The sandbox's Stripe events: builders for events shaped like the current API (2026 "endive"),
// only what our normalizer reads plus the envelope, used by the demo seed (prisma/seed.ts), the
// tests, the evals and the benchmarks. Our own fixtures, not copies of Stripe's. (Not to be
// confused with lib/lifecycle/stripe-events.ts, which parses and normalizes real ones.)

let counter = 0;
const nextId = (prefix: string) => `${prefix}_test${Date.now().toString(36)}${(counter++).toString(36).padStart(4, "0")}`;

export interface StripeEventInput {
  type: string;
  object: Record<string, unknown>;
  created: number;
  id?: string;
}

export function stripeEvent({ type, object, created, id }: StripeEventInput) {
  return {
    id: id ?? nextId("evt"),
    object: "event",
    api_version: "2026-10-28.endive",
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/** A built event as the Stripe webhook handler would record it in the ledger. */
export function stripeLedgerEntry(event: { id: string; type: string; created: number }): LedgerEntry {
  return {
    provider: "stripe",
    eventId: event.id,
    type: event.type,
    createdAt: new Date(event.created * 1000),
    json: JSON.stringify(event),
    handled: handledStripeTypes.has(event.type),
  };
}

export function signStripe(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

export interface Purchase {
  customerId: string;
  email: string;
  name?: string;
  subscriptionId: string;
  priceId: string;
  paymentIntentId: string;
  chargeId: string;
  invoiceId: string;
  /** unix seconds */
  at: number;
  periodEnd: number;
}

export function newPurchase(overrides: Partial<Purchase> = {}): Purchase {
  const at = overrides.at ?? Math.floor(Date.now() / 1000) - 3600;
  return {
    customerId: nextId("cus"),
    email: `buyer-${counter++}@example.com`,
    name: "Ada Buyer",
    subscriptionId: nextId("sub"),
    priceId: "price_demo_community_monthly",
    paymentIntentId: nextId("pi"),
    chargeId: nextId("ch"),
    invoiceId: nextId("in"),
    at,
    periodEnd: at + 30 * 86400,
    ...overrides,
  };
}

export function checkoutCompleted(
  p: Purchase,
  extra: { created?: number; metadata?: Record<string, string>; paymentStatus?: "paid" | "no_payment_required" } = {},
) {
  return stripeEvent({
    type: "checkout.session.completed",
    created: extra.created ?? p.at,
    object: {
      id: nextId("cs"),
      object: "checkout.session",
      mode: "subscription",
      payment_status: extra.paymentStatus ?? "paid",
      status: "complete",
      customer: p.customerId,
      customer_email: null,
      customer_details: { email: p.email, name: p.name ?? null },
      subscription: p.subscriptionId,
      payment_intent: null,
      payment_link: null,
      metadata: extra.metadata ?? { price_id: p.priceId },
    },
  });
}

export function subscriptionEvent(
  p: Purchase,
  type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
  fields: { status?: string; created?: number; cancelAtPeriodEnd?: boolean; endedAt?: number | null; priceId?: string } = {},
) {
  return stripeEvent({
    type,
    created: fields.created ?? p.at,
    object: {
      id: p.subscriptionId,
      object: "subscription",
      customer: p.customerId,
      status: fields.status ?? "active",
      cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
      cancel_at: null,
      ended_at: fields.endedAt ?? null,
      items: {
        object: "list",
        data: [{ id: nextId("si"), object: "subscription_item", price: { id: fields.priceId ?? p.priceId, object: "price" }, current_period_end: p.periodEnd }],
      },
      metadata: {},
    },
  });
}

export function invoiceEvent(p: Purchase, type: "invoice.paid" | "invoice.payment_failed", fields: { created?: number; invoiceId?: string; priceId?: string } = {}) {
  return stripeEvent({
    type,
    created: fields.created ?? p.at,
    object: {
      id: fields.invoiceId ?? p.invoiceId,
      object: "invoice",
      customer: p.customerId,
      customer_email: p.email,
      customer_name: p.name ?? null,
      status: type === "invoice.paid" ? "paid" : "open",
      parent: { type: "subscription_details", subscription_details: { subscription: p.subscriptionId, metadata: {} } },
      lines: { object: "list", data: [{ id: nextId("il"), pricing: { type: "price_details", price_details: { price: fields.priceId ?? p.priceId, product: "prod_x" } }, period: { start: p.at, end: p.periodEnd } }] },
      next_payment_attempt: type === "invoice.payment_failed" ? p.at + 3 * 86400 : null,
    },
  });
}

export function invoicePaymentPaid(p: Purchase, fields: { created?: number; invoiceId?: string; paymentIntentId?: string; chargeId?: string } = {}) {
  return stripeEvent({
    type: "invoice_payment.paid",
    created: fields.created ?? p.at,
    object: {
      id: nextId("inpay"),
      object: "invoice_payment",
      invoice: fields.invoiceId ?? p.invoiceId,
      status: "paid",
      payment: { type: "payment_intent", payment_intent: fields.paymentIntentId ?? p.paymentIntentId, charge: fields.chargeId ?? p.chargeId },
    },
  });
}

export function chargeRefunded(p: Purchase, fields: { created?: number; partial?: boolean } = {}) {
  return stripeEvent({
    type: "charge.refunded",
    created: fields.created ?? p.at + 600,
    object: {
      id: p.chargeId,
      object: "charge",
      customer: p.customerId,
      payment_intent: p.paymentIntentId,
      amount: 2000,
      amount_refunded: fields.partial ? 500 : 2000,
      refunded: !fields.partial,
      receipt_email: p.email,
      billing_details: { email: p.email, name: p.name ?? null },
    },
  });
}

export function disputeCreated(p: Purchase, fields: { created?: number } = {}) {
  return stripeEvent({
    type: "charge.dispute.created",
    created: fields.created ?? p.at + 600,
    object: { id: nextId("dp"), object: "dispute", charge: p.chargeId, payment_intent: p.paymentIntentId, reason: "fraudulent", status: "needs_response" },
  });
}

export function customerUpdated(p: Purchase, email: string, fields: { created?: number } = {}) {
  return stripeEvent({
    type: "customer.updated",
    created: fields.created ?? p.at + 60,
    object: { id: p.customerId, object: "customer", email, name: p.name ?? null },
  });
}
