import Stripe from "stripe";
import { log } from "../log";
import { metrics } from "../metrics";
import type { LedgerWriter } from "./ledger";
import { observeDelivery } from "./observe";
import { answer, asWebHandler, refuse, refuseUnverified, serveWebRequest, type Answer, type Delivery, type WebhookFailureLimiter, type WebhookProcessor } from "./http";
import { handledStripeTypes, normalizeStripeEvent, stripeEnvelopeSchema } from "../lifecycle/stripe-events";

// POST /api/webhooks/stripe, framework-free, mounted by the Next route and by the lean ingest
// server alike. It verifies, parses, records and answers; applying the event is the worker's.

export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeWebhookDeps {
  ledger: LedgerWriter;
  /**
   * The endpoint's signing secret, or several separated by commas (`whsec_new,whsec_old`) while
   * one is rolled: a delivery signed with any of them is accepted.
   */
  secret: string;
  /** Counts failed signature checks per address (429 past the allowance); unset: no limit. */
  failureLimiter?: WebhookFailureLimiter;
  /** TRUSTED_PROXY_HOPS, how the sender's address is read (lib/client-address.ts); unset: the default. */
  trustedProxyHops?: number;
}

/** The secrets a (comma-separated) STRIPE_WEBHOOK_SECRET holds, blanks dropped. */
export function stripeWebhookSecrets(secret: string): string[] {
  return secret
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/**
 * Stripe's constructEvent against each secret in turn: the first that verifies wins. A failure
 * other than a signature mismatch (a body that is not JSON) is thrown as it is; when no secret
 * verifies, the first secret's error is thrown (a stale timestamp says so under every secret).
 */
export function constructStripeEvent(raw: string, signature: string, secrets: string[], toleranceSeconds = STRIPE_TOLERANCE_SECONDS): Stripe.Event {
  if (secrets.length === 0) throw new Stripe.errors.StripeSignatureVerificationError(signature, raw, { message: "No webhook secret configured" });
  let first: unknown;
  for (const secret of secrets) {
    try {
      return Stripe.webhooks.constructEvent(raw, signature, secret, toleranceSeconds);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) throw error;
      first ??= error;
    }
  }
  throw first;
}

/** One delivery, measured and logged under its correlation id, which becomes its ledger row's id (its apply job logs under it). */
export const processStripeDelivery = (delivery: Delivery, deps: StripeWebhookDeps): Promise<Answer> =>
  observeDelivery("stripe", (correlationId) => verifyAndRecord(delivery, deps, correlationId));

async function verifyAndRecord(delivery: Delivery, deps: StripeWebhookDeps, correlationId: string): Promise<Answer> {
  const signature = delivery.header("stripe-signature");
  if (!signature) return refuseUnverified(delivery, deps.failureLimiter, "missing Stripe-Signature header");
  const raw = delivery.body;

  let verified: unknown;
  try {
    verified = constructStripeEvent(raw, signature, stripeWebhookSecrets(deps.secret));
  } catch (error) {
    // Stripe's messages say why (no matching signature, timestamp outside tolerance)
    // without echoing the secret. Only a failed signature counts against the address.
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      return refuseUnverified(delivery, deps.failureLimiter, `invalid webhook: ${error.message.split("\n")[0]}`);
    }
    return refuse(400, "invalid webhook: body is not JSON");
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
      { id: correlationId, provider: "stripe", eventId: envelope.data.id, type: envelope.data.type, createdAt: new Date(envelope.data.created * 1000), json: raw, handled },
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
export const handleStripeWebhook = (request: Request, deps: StripeWebhookDeps) => serveWebRequest(request, (delivery) => processStripeDelivery(delivery, deps), deps.trustedProxyHops);

/** The processor bound to its dependencies, for a host that mounts several (the ingest server). */
export const createStripeWebhookProcessor =
  (deps: StripeWebhookDeps): WebhookProcessor =>
  (delivery) =>
    processStripeDelivery(delivery, deps);

export const createStripeWebhookHandler = (deps: StripeWebhookDeps) => asWebHandler(createStripeWebhookProcessor(deps));
