import type { Provider } from "./states";
import type { CanonicalEvent } from "./events";
import { kitEventSchema, normalizeKitEvent } from "./kit-events";
import { normalizeStripeEvent, stripeEnvelopeSchema } from "./stripe-events";

export type Normalized = { ok: true; event: CanonicalEvent } | { ok: false; error: string };

/** A stored ledger payload -> its canonical event (the ledger is the replay source). */
export function normalizeEvent(provider: Provider, payload: unknown): Normalized {
  if (provider === "stripe") {
    const envelope = stripeEnvelopeSchema.safeParse(payload);
    return envelope.success ? normalizeStripeEvent(envelope.data) : { ok: false, error: "malformed Stripe event" };
  }
  if (provider === "kit") {
    const event = kitEventSchema.safeParse(payload);
    return event.success ? normalizeKitEvent(event.data) : { ok: false, error: "malformed Kit event" };
  }
  return { ok: false, error: `no webhooks from ${provider}` };
}
