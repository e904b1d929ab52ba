import Stripe from "stripe";
import { log } from "../log";
import { metrics } from "../metrics";
import type { LedgerWriter } from "./ledger";
import { answer, asWebHandler, refuse, serveWebRequest, type Answer, type Delivery, type WebhookProcessor } from "./http";
import { handledStripeTypes, normalizeStripeEvent, stripeEnvelopeSchema } from "../lifecycle/stripe-events";

// POST /api/webhooks/stripe, framework-free, mounted by the Next route and by the lean ingest
// server alike. It verifies, parses, records and answers; applying the event is the worker's.

export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeWebhookDeps {
  ledger: LedgerWriter;
  secret: string;
}

export async function processStripeDelivery(delivery: Delivery, deps: StripeWebhookDeps): Promise<Answer> {
  const signature = delivery.header("stripe-signature");
  if (!signature) return refuse(400, "missing Stripe-Signature header");
  const raw = delivery.body;

  let verified: unknown;
  try {
    verified = Stripe.webhooks.constructEvent(raw, signature, deps.secret, STRIPE_TOLERANCE_SECONDS);
  } catch (error) {
    // Stripe's messages say why (no matching signature, timestamp outside tolerance)
    // without echoing the secret.
    const reason = error instanceof Stripe.errors.StripeSignatureVerificationError ? error.message.split("\n")[0] : "body is not JSON";
    return refuse(400, `invalid webhook: ${reason}`);
  }

  const envelope = stripeEnvelopeSchema.safeParse(verified);
  if (!envelope.success) return refuse(400, `malformed event: ${envelope.error.issues[0]?.message ?? "invalid"}`);
  const handled = handledStripeTypes.has(envelope.data.type);
  if (handled) {
    const normalized = normalizeStripeEvent(envelope.data);
    if (!normalized.ok) return refuse(400, `malformed event: ${normalized.error}`);
  }

  try {
    const [fresh] = await deps.ledger.record([
      { provider: "stripe", eventId: envelope.data.id, type: envelope.data.type, createdAt: new Date(envelope.data.created * 1000), json: raw, handled },
    ]);
    metrics().webhookEvents.inc({ provider: "stripe", result: fresh ? "recorded" : "duplicate" });
    return answer(200, { received: true, duplicate: !fresh });
  } catch (error) {
    log.error({ err: (error as Error).message, eventId: envelope.data.id }, "stripe webhook: could not record event");
    // 5xx: Stripe retries the delivery.
    return refuse(503, "could not record the event; retry");
  }
}

/** POST /api/webhooks/stripe: a Web Request -> Response. */
export const handleStripeWebhook = (request: Request, deps: StripeWebhookDeps) => serveWebRequest(request, (delivery) => processStripeDelivery(delivery, deps));

/** The processor bound to its dependencies, for a host that mounts several (the ingest server). */
export const createStripeWebhookProcessor =
  (deps: StripeWebhookDeps): WebhookProcessor =>
  (delivery) =>
    processStripeDelivery(delivery, deps);

export const createStripeWebhookHandler = (deps: StripeWebhookDeps) => asWebHandler(createStripeWebhookProcessor(deps));
