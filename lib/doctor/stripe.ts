import Stripe from "stripe";
import { handledStripeTypes } from "../lifecycle/stripe-events";
import { errorMessage, fail, pass, skip, warn, type CheckResult } from "./types";

// Stripe: the secret key answers one cheap read, and a webhook endpoint for PUBLIC_URL is
// registered, enabled, with every event type the product handles. (Its signing secret cannot be
// read back from Stripe: the delivery check in ./https.ts proves it instead.)

/** Every event type the Stripe webhook endpoint must send: the ones the lifecycle handles. */
export const REQUIRED_STRIPE_EVENTS: readonly string[] = [...handledStripeTypes];

export const STRIPE_WEBHOOK_PATH = "/api/webhooks/stripe";

export function stripeWebhookUrl(publicUrl: string): string {
  return new URL(STRIPE_WEBHOOK_PATH, publicUrl).toString();
}


interface StripeErrorLike {
  type?: string;
  statusCode?: number;
  message?: string;
}

function describeStripeError(error: unknown): { detail: string; fix: string } {
  const stripeError = error as StripeErrorLike;
  if (stripeError.statusCode === 401 || stripeError.type === "StripeAuthenticationError") {
    return {
      detail: `Stripe refused the key (401): ${stripeError.message ?? "invalid API key"}`,
      fix: "STRIPE_SECRET_KEY is wrong, revoked or expired: create a new restricted key in Stripe (Developers → API keys) with read access to Balance and Webhook Endpoints, and set it",
    };
  }
  if (stripeError.statusCode === 403 || stripeError.type === "StripePermissionError") {
    return {
      detail: `Stripe refused the read (403): ${stripeError.message ?? "permission denied"}`,
      fix: "the restricted key lacks a permission: in Stripe, edit the key to allow Read on Balance and on Webhook Endpoints",
    };
  }
  return {
    detail: `Stripe could not be reached: ${errorMessage(error)}`,
    fix: "check the network from here to api.stripe.com (or STRIPE_API_URL) and run the doctor again",
  };
}

export interface StripeCheckInput {
  stripe: Stripe | null;
  /** The key's text, for its mode (sk_test_/rk_test_ is test mode). */
  secretKey: string | undefined;
  publicUrl: string | undefined;
}

/** Both Stripe checks: the key, then (when the key works) the webhook endpoint. */
export async function checkStripe({ stripe, secretKey, publicUrl }: StripeCheckInput): Promise<CheckResult[]> {
  const keyTitle = "Stripe secret key valid";
  const endpointTitle = "Stripe webhook endpoint registered for PUBLIC_URL with every event type";
  if (!stripe || !secretKey) {
    return [skip("stripe.key", keyTitle, "STRIPE_SECRET_KEY is not set (see the environment)"), skip("stripe.endpoint", endpointTitle, "needs STRIPE_SECRET_KEY")];
  }
  let keyResult: CheckResult;
  try {
    const balance = await stripe.balance.retrieve();
    const testMode = /^(sk|rk)_test_/.test(secretKey) || balance.livemode === false;
    keyResult = testMode
      ? warn("stripe.key", keyTitle, "the key works but is a test-mode key: live payments go elsewhere", "use a live-mode key (sk_live_… or rk_live_…) and the live endpoint's whsec_ secret when you launch")
      : pass("stripe.key", keyTitle, "the key reads the balance (live mode)");
  } catch (error) {
    const { detail, fix } = describeStripeError(error);
    return [fail("stripe.key", keyTitle, detail, fix), skip("stripe.endpoint", endpointTitle, "needs a working STRIPE_SECRET_KEY")];
  }
  if (!publicUrl) return [keyResult, skip("stripe.endpoint", endpointTitle, "PUBLIC_URL is not set (see the environment)")];
  return [keyResult, await checkStripeEndpoint(stripe, publicUrl, endpointTitle)];
}

const sameUrl = (a: string, b: string) => {
  const normal = (url: string) => {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`;
  };
  return URL.canParse(a) && URL.canParse(b) && normal(a) === normal(b);
};

async function checkStripeEndpoint(stripe: Stripe, publicUrl: string, title: string): Promise<CheckResult> {
  const id = "stripe.endpoint";
  const url = stripeWebhookUrl(publicUrl);
  const eventList = REQUIRED_STRIPE_EVENTS.join(", ");
  let endpoints: Stripe.WebhookEndpoint[];
  try {
    endpoints = [];
    for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) endpoints.push(endpoint);
  } catch (error) {
    const { detail, fix } = describeStripeError(error);
    return fail(id, title, detail, fix);
  }
  const matching = endpoints.filter((endpoint) => sameUrl(endpoint.url, url));
  if (matching.length === 0) {
    return fail(
      id,
      title,
      `no webhook endpoint for ${url} (${endpoints.length} other${endpoints.length === 1 ? "" : "s"} registered)`,
      `in Stripe (Developers → Webhooks → Add endpoint) add ${url} with these events: ${eventList}; then put its signing secret (whsec_…) in STRIPE_WEBHOOK_SECRET and redeploy`,
    );
  }
  const missingOf = (endpoint: Stripe.WebhookEndpoint) =>
    endpoint.enabled_events.includes("*") ? [] : REQUIRED_STRIPE_EVENTS.filter((type) => !endpoint.enabled_events.includes(type));
  // The best candidate: enabled, then the fewest missing event types.
  const [best] = [...matching].sort((a, b) => Number(b.status === "enabled") - Number(a.status === "enabled") || missingOf(a).length - missingOf(b).length);
  if (!best) throw new Error("unreachable");
  const missing = missingOf(best);
  const problems: string[] = [];
  const fixes: string[] = [];
  if (best.status !== "enabled") {
    problems.push(`the endpoint ${best.id} is ${best.status}`);
    fixes.push(`enable it in Stripe (Developers → Webhooks → ${best.id} → Enable)`);
  }
  if (missing.length > 0) {
    problems.push(`it does not send ${missing.join(", ")}`);
    fixes.push(`add the missing event type${missing.length === 1 ? "" : "s"} to ${best.id} (Developers → Webhooks → the endpoint → Update details → Select events): ${missing.join(", ")}`);
  }
  if (problems.length > 0) {
    return fail(id, title, `${url}: ${problems.join("; ")}`, fixes.join("; "), missing.map((type) => ({ name: type, problem: "not sent to the endpoint", fix: `add ${type} to the endpoint's events` })));
  }
  return pass(id, title, `${best.id} at ${url} is enabled and sends all ${REQUIRED_STRIPE_EVENTS.length} event types`);
}
