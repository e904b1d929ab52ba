import type { CanonicalEvent } from "./events";
import type { Provider } from "./states";

// Pure. Who an event is about: the external ids it names (Stripe customer, payment, invoice,
// charge; Kit subscriber) and its email. The record resolves and links customers by these.

export interface ExternalId {
  provider: Provider;
  externalId: string;
}

export const refKey = (ref: ExternalId) => `${ref.provider}:${ref.externalId}`;

export function parseRefKey(key: string): ExternalId | null {
  const [provider, ...rest] = key.split(":");
  const externalId = rest.join(":");
  return (provider === "stripe" || provider === "kit" || provider === "circle") && externalId ? { provider, externalId } : null;
}

const isKitEvent = (event: CanonicalEvent) => event.kind === "kit_subscriber_state" || event.kind === "kit_tag_changed";

export function refsOf(event: CanonicalEvent): ExternalId[] {
  switch (event.kind) {
    case "kit_subscriber_state":
    case "kit_tag_changed":
      return [{ provider: "kit", externalId: String(event.kitSubscriberId) }];
    default: {
      const ids = [event.identity.stripeCustomerId];
      if (event.kind === "checkout_completed" || event.kind === "invoice_paid") ids.push(event.paymentRef);
      if (event.kind === "invoice_paid" || event.kind === "invoice_payment_failed") ids.push(event.invoiceId);
      if (event.kind === "invoice_payment_paid") ids.push(event.invoiceId, event.paymentRef, event.chargeRef);
      if (event.kind === "charge_refunded") ids.push(event.chargeId, event.paymentRef);
      if (event.kind === "dispute_opened") ids.push(event.chargeId, event.paymentRef);
      return ids.filter((id): id is string => Boolean(id)).map((externalId) => ({ provider: "stripe", externalId }));
    }
  }
}

export function emailOf(event: CanonicalEvent): string | null {
  if (event.kind === "kit_subscriber_state" || event.kind === "kit_tag_changed") return event.email;
  return event.identity.email;
}

export function nameOf(event: CanonicalEvent): string | null {
  return "identity" in event ? event.identity.name : null;
}

/** Kit tells us about the whole mailing list; only Stripe makes someone a customer. */
export const mayCreateCustomer = (event: CanonicalEvent) => !isKitEvent(event);
