import { z } from "zod";
import type { CanonicalEvent, StripeIdentity, SubscriptionStatus } from "./events";
import { normalizeEmail } from "./events";

// Pure: a verified Stripe event -> a canonical event. Only the fields we use are parsed, and
// both the current API shape and the pre-2025 one are accepted (a founder's Stripe account
// may pin either version).

const id = z.string().min(1).max(255);
const unix = z.number().int().nonnegative();
const toDate = (seconds: number | null | undefined) => (seconds == null ? null : new Date(seconds * 1000));
const expandable = z.union([id, z.object({ id })]).transform((value) => (typeof value === "string" ? value : value.id));
const email = z
  .string()
  .max(320)
  .nullish()
  .transform((value) => (value && value.includes("@") ? normalizeEmail(value) : null));
const metadata = z.record(z.string(), z.string()).nullish();

export const stripeEnvelopeSchema = z.object({
  id: z.string().regex(/^evt_\w+$/, "event id must start with evt_"),
  type: z.string().min(1).max(100),
  created: unix,
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEnvelope = z.infer<typeof stripeEnvelopeSchema>;

const checkoutSession = z.object({
  id,
  mode: z.enum(["payment", "subscription", "setup"]),
  payment_status: z.enum(["paid", "unpaid", "no_payment_required"]),
  customer: expandable.nullish(),
  customer_email: email,
  customer_details: z.object({ email, name: z.string().nullish() }).nullish(),
  subscription: expandable.nullish(),
  payment_intent: expandable.nullish(),
  payment_link: expandable.nullish(),
  metadata,
});

const price = z.object({ id });
const subscription = z.object({
  id,
  customer: expandable,
  status: z.enum(["trialing", "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "paused"]),
  cancel_at_period_end: z.boolean().default(false),
  cancel_at: unix.nullish(),
  ended_at: unix.nullish(),
  current_period_end: unix.nullish(),
  items: z.object({
    data: z.array(z.object({ price, current_period_end: unix.nullish() })),
  }),
  metadata,
});

const invoiceLine = z.object({
  amount: z.number().int().nullish(),
  price: price.nullish(),
  pricing: z.object({ price_details: z.object({ price: expandable }).nullish() }).nullish(),
  period: z.object({ end: unix }).nullish(),
});
const invoice = z.object({
  id,
  customer: expandable.nullish(),
  customer_email: email,
  customer_name: z.string().nullish(),
  subscription: expandable.nullish(),
  parent: z.object({ subscription_details: z.object({ subscription: expandable }).nullish() }).nullish(),
  payment_intent: expandable.nullish(),
  payments: z
    .object({ data: z.array(z.object({ payment: z.object({ payment_intent: expandable.nullish() }).nullish() })) })
    .nullish(),
  lines: z.object({ data: z.array(invoiceLine) }).nullish(),
  next_payment_attempt: unix.nullish(),
});

const charge = z.object({
  id,
  customer: expandable.nullish(),
  payment_intent: expandable.nullish(),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  refunded: z.boolean(),
  receipt_email: email,
  billing_details: z.object({ email, name: z.string().nullish() }).nullish(),
});

const invoicePayment = z.object({
  id,
  invoice: expandable,
  payment: z.object({ payment_intent: expandable.nullish(), charge: expandable.nullish() }),
});

const dispute = z.object({
  id,
  charge: expandable,
  payment_intent: expandable.nullish(),
});

const customer = z.object({
  id,
  email,
  name: z.string().nullish(),
});

/** Event types that change the record; any other type is recorded and ignored. */
export const handledStripeTypes = new Set([
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice_payment.paid",
  "charge.refunded",
  "charge.dispute.created",
  "customer.updated",
]);

export type NormalizeResult = { ok: true; event: CanonicalEvent } | { ok: false; error: string };

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new NormalizeError(`${what}: ${issue ? `${issue.path.join(".") || "(object)"} ${issue.message}` : "invalid"}`);
  }
  return result.data;
}

class NormalizeError extends Error {}

const identity = (stripeCustomerId: string | null | undefined, address: string | null, name?: string | null): StripeIdentity => ({
  stripeCustomerId: stripeCustomerId ?? null,
  email: address,
  name: name ?? null,
});

function subscriptionPeriodEnd(sub: z.infer<typeof subscription>): Date | null {
  const itemEnds = sub.items.data.map((item) => item.current_period_end).filter((end): end is number => end != null);
  return toDate(itemEnds.length > 0 ? Math.max(...itemEnds) : sub.current_period_end);
}

/** Prices the invoice charges for; proration credits (negative lines) are not purchases. */
function invoicePrices(inv: z.infer<typeof invoice>): string[] {
  return (inv.lines?.data ?? [])
    .filter((line) => line.amount == null || line.amount >= 0)
    .map((line) => line.pricing?.price_details?.price ?? line.price?.id)
    .filter((value): value is string => Boolean(value));
}

export function normalizeStripeEvent(envelope: StripeEnvelope): NormalizeResult {
  const base = { eventId: envelope.id, at: new Date(envelope.created * 1000) };
  const object = envelope.data.object;
  try {
    switch (envelope.type) {
      case "checkout.session.completed":
      case "checkout.session.async_payment_succeeded": {
        const session = parse(checkoutSession, object, "checkout session");
        const oneTime = session.mode !== "subscription";
        return {
          ok: true,
          event: {
            ...base,
            kind: "checkout_completed",
            identity: identity(
              session.customer,
              session.customer_details?.email ?? session.customer_email,
              session.customer_details?.name,
            ),
            sourceId: !oneTime && session.subscription ? session.subscription : session.id,
            oneTime,
            paid: session.payment_status !== "unpaid",
            charged: session.payment_status === "paid",
            planKey: session.metadata?.plan ?? null,
            priceIds: session.metadata?.price_id ? [session.metadata.price_id] : [],
            paymentLinkId: session.payment_link ?? null,
            paymentRef: session.payment_intent ?? null,
          },
        };
      }
      case "customer.subscription.created":
      case "customer.subscription.updated":
      case "customer.subscription.deleted": {
        const sub = parse(subscription, object, "subscription");
        return {
          ok: true,
          event: {
            ...base,
            kind: "subscription_changed",
            identity: identity(sub.customer, null),
            subscriptionId: sub.id,
            status: sub.status as SubscriptionStatus,
            priceIds: sub.items.data.map((item) => item.price.id),
            planKey: sub.metadata?.plan ?? null,
            currentPeriodEnd: subscriptionPeriodEnd(sub),
            cancelAtPeriodEnd: sub.cancel_at_period_end || sub.cancel_at != null,
            endedAt: toDate(sub.ended_at),
            deleted: envelope.type === "customer.subscription.deleted",
          },
        };
      }
      case "invoice.paid": {
        const inv = parse(invoice, object, "invoice");
        const periodEnds = (inv.lines?.data ?? []).map((line) => line.period?.end).filter((end): end is number => end != null);
        return {
          ok: true,
          event: {
            ...base,
            kind: "invoice_paid",
            identity: identity(inv.customer, inv.customer_email, inv.customer_name),
            invoiceId: inv.id,
            subscriptionId: inv.parent?.subscription_details?.subscription ?? inv.subscription ?? null,
            priceIds: invoicePrices(inv),
            periodEnd: toDate(periodEnds.length > 0 ? Math.max(...periodEnds) : null),
            paymentRef: inv.payment_intent ?? inv.payments?.data[0]?.payment?.payment_intent ?? null,
          },
        };
      }
      case "invoice.payment_failed": {
        const inv = parse(invoice, object, "invoice");
        return {
          ok: true,
          event: {
            ...base,
            kind: "invoice_payment_failed",
            identity: identity(inv.customer, inv.customer_email, inv.customer_name),
            invoiceId: inv.id,
            subscriptionId: inv.parent?.subscription_details?.subscription ?? inv.subscription ?? null,
            nextAttemptAt: toDate(inv.next_payment_attempt),
          },
        };
      }
      case "invoice_payment.paid": {
        const payment = parse(invoicePayment, object, "invoice payment");
        return {
          ok: true,
          event: {
            ...base,
            kind: "invoice_payment_paid",
            identity: identity(null, null),
            invoiceId: payment.invoice,
            paymentRef: payment.payment.payment_intent ?? null,
            chargeRef: payment.payment.charge ?? null,
          },
        };
      }
      case "charge.refunded": {
        const ch = parse(charge, object, "charge");
        return {
          ok: true,
          event: {
            ...base,
            kind: "charge_refunded",
            identity: identity(ch.customer, ch.billing_details?.email ?? ch.receipt_email, ch.billing_details?.name),
            chargeId: ch.id,
            paymentRef: ch.payment_intent ?? null,
            fullyRefunded: ch.refunded || ch.amount_refunded >= ch.amount,
          },
        };
      }
      case "charge.dispute.created": {
        const dp = parse(dispute, object, "dispute");
        // A dispute names its charge, not the customer: the charge's customer is found
        // through the payment it disputes (see the fold).
        return {
          ok: true,
          event: {
            ...base,
            kind: "dispute_opened",
            identity: identity(null, null),
            disputeId: dp.id,
            chargeId: dp.charge,
            paymentRef: dp.payment_intent ?? null,
          },
        };
      }
      case "customer.updated": {
        const cus = parse(customer, object, "customer");
        return { ok: true, event: { ...base, kind: "customer_updated", identity: identity(cus.id, cus.email, cus.name) } };
      }
      default:
        return { ok: false, error: `unhandled event type ${envelope.type}` };
    }
  } catch (error) {
    if (error instanceof NormalizeError) return { ok: false, error: error.message };
    throw error;
  }
}
