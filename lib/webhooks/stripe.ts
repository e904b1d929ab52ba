import Stripe from "stripe";
import { log } from "../log";
import { metrics } from "../metrics";
import type { LedgerWriter } from "./ledger";
import { BodyTooLargeError, json, readBody, rejection } from "./http";
import { handledStripeTypes, normalizeStripeEvent, stripeEnvelopeSchema } from "./stripe-events";

// POST /api/webhooks/stripe as a framework-free Request -> Response function, mounted by the
// Next route and by the lean ingest server alike. It verifies, parses, records and answers;
// applying the event is the worker's job.

export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeWebhookDeps {
  ledger: LedgerWriter;
  secret: string;
}

export function createStripeWebhookHandler(deps: StripeWebhookDeps) {
  return async function handleStripeWebhook(request: Request): Promise<Response> {
    if (request.method !== "POST") return rejection(405, "use POST");
    const signature = request.headers.get("stripe-signature");
    if (!signature) return rejection(400, "missing Stripe-Signature header");
    let raw: string;
    try {
      raw = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return rejection(413, "body over 1 MiB");
      return rejection(400, "could not read the body");
    }

    let verified: unknown;
    try {
      verified = Stripe.webhooks.constructEvent(raw, signature, deps.secret, STRIPE_TOLERANCE_SECONDS);
    } catch (error) {
      // Stripe's messages say why (no matching signature, timestamp outside tolerance)
      // without echoing the secret.
      const reason = error instanceof Stripe.errors.StripeSignatureVerificationError ? error.message.split("\n")[0] : "body is not JSON";
      return rejection(400, `invalid webhook: ${reason}`);
    }

    const envelope = stripeEnvelopeSchema.safeParse(verified);
    if (!envelope.success) return rejection(400, `malformed event: ${envelope.error.issues[0]?.message ?? "invalid"}`);
    const handled = handledStripeTypes.has(envelope.data.type);
    if (handled) {
      const normalized = normalizeStripeEvent(envelope.data);
      if (!normalized.ok) return rejection(400, `malformed event: ${normalized.error}`);
    }

    try {
      const [fresh] = await deps.ledger.record([
        { provider: "stripe", eventId: envelope.data.id, type: envelope.data.type, createdAt: new Date(envelope.data.created * 1000), json: raw, handled },
      ]);
      metrics().webhookEvents.inc({ provider: "stripe", result: fresh ? "recorded" : "duplicate" });
      return json(200, { received: true, duplicate: !fresh });
    } catch (error) {
      log.error({ err: (error as Error).message, eventId: envelope.data.id }, "stripe webhook: could not record event");
      // 5xx: Stripe retries the delivery.
      return rejection(503, "could not record the event; retry");
    }
  };
}
