// Canonical events: what the lifecycle understands, whatever provider said it.
// Produced by the pure normalizers beside it (stripe-events.ts, kit-events.ts), folded by lib/lifecycle/fold.

export interface StripeIdentity {
  stripeCustomerId: string | null;
  email: string | null;
  name: string | null;
}

interface Base {
  /** Ledger row id, a stable tie-breaker. */
  eventId: string;
  /** Provider timestamp. */
  at: Date;
}

export type SubscriptionStatus =
  | "trialing"
  | "active"
  | "past_due"
  | "unpaid"
  | "canceled"
  | "incomplete"
  | "incomplete_expired"
  | "paused";

export type CanonicalEvent =
  | (Base & {
      kind: "checkout_completed";
      identity: StripeIdentity;
      /** The subscription it started, or the session itself for a one-time purchase. */
      sourceId: string;
      oneTime: boolean;
      /** Access is granted: paid, or nothing to pay (a free trial). */
      paid: boolean;
      /** Money was taken: false for a trial that needed no payment. */
      charged: boolean;
      planKey: string | null;
      priceIds: string[];
      paymentLinkId: string | null;
      paymentRef: string | null;
    })
  | (Base & {
      kind: "subscription_changed";
      identity: StripeIdentity;
      subscriptionId: string;
      status: SubscriptionStatus;
      priceIds: string[];
      planKey: string | null;
      currentPeriodEnd: Date | null;
      cancelAtPeriodEnd: boolean;
      endedAt: Date | null;
      deleted: boolean;
    })
  | (Base & {
      kind: "invoice_paid";
      identity: StripeIdentity;
      invoiceId: string;
      subscriptionId: string | null;
      priceIds: string[];
      periodEnd: Date | null;
      paymentRef: string | null;
    })
  | (Base & {
      /** Links an invoice to the payment that paid it (current API: invoices carry no payment intent). */
      kind: "invoice_payment_paid";
      identity: StripeIdentity;
      invoiceId: string;
      paymentRef: string | null;
      chargeRef: string | null;
    })
  | (Base & {
      kind: "invoice_payment_failed";
      identity: StripeIdentity;
      invoiceId: string;
      subscriptionId: string | null;
      nextAttemptAt: Date | null;
    })
  | (Base & {
      kind: "charge_refunded";
      identity: StripeIdentity;
      chargeId: string;
      paymentRef: string | null;
      fullyRefunded: boolean;
    })
  | (Base & {
      kind: "dispute_opened";
      identity: StripeIdentity;
      disputeId: string;
      chargeId: string;
      paymentRef: string | null;
    })
  | (Base & {
      kind: "customer_updated";
      identity: StripeIdentity;
    })
  | (Base & {
      kind: "kit_subscriber_state";
      kitSubscriberId: number;
      email: string;
      state: "active" | "unsubscribed" | "bounced" | "complained";
    })
  | (Base & {
      kind: "kit_tag_changed";
      kitSubscriberId: number;
      email: string;
      tagId: number;
      present: boolean;
    });

export type CanonicalEventKind = CanonicalEvent["kind"];

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
