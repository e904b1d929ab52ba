import Stripe from "stripe";

// What the reconciler reads from Stripe, through the official `stripe` package: the running
// subscriptions (listed page by page, each page one request against the budget) and one
// subscription with its customer. The API origin is configurable (STRIPE_API_URL) so tests
// and benchmarks point it at the fake Stripe in lib/sandbox.

export const STRIPE_DEFAULT_API_URL = "https://api.stripe.com";

/** Statuses Stripe still bills or grants for: what the record must hold as running. */
export const RUNNING_SUBSCRIPTION_STATUSES = ["active", "past_due", "trialing"] as const;

export interface StripeReaderOptions {
  secretKey: string;
  apiUrl?: string;
  timeoutMs?: number;
  /** Awaited before every request (a page is one request): the shared budget. */
  beforeRequest?: () => Promise<void>;
  pageSize?: number;
}

export interface StripeSubscriptionRow {
  id: string;
  stripeCustomerId: string;
  status: string;
}

export interface StripeReader {
  /** Every subscription in one status, all pages read. */
  listSubscriptions(status: (typeof RUNNING_SUBSCRIPTION_STATUSES)[number]): Promise<StripeSubscriptionRow[]>;
  /** The subscription as Stripe holds it now, its customer expanded; null when Stripe has none. */
  retrieveSubscription(id: string): Promise<Stripe.Subscription | null>;
}

/** A listing longer than this many pages is refused rather than read without end. */
const MAX_PAGES = 10_000;

export function createStripeClient(secretKey: string, apiUrl = STRIPE_DEFAULT_API_URL, timeoutMs = 10_000): Stripe {
  const api = new URL(apiUrl);
  return new Stripe(secretKey, {
    host: api.hostname,
    port: api.port || (api.protocol === "http:" ? 80 : 443),
    protocol: api.protocol === "http:" ? "http" : "https",
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    telemetry: false,
  });
}

const customerIdOf = (customer: string | Stripe.Customer | Stripe.DeletedCustomer) => (typeof customer === "string" ? customer : customer.id);

export function createStripeReader(options: StripeReaderOptions): StripeReader {
  const stripe = createStripeClient(options.secretKey, options.apiUrl, options.timeoutMs);
  const pageSize = options.pageSize ?? 100;
  return {
    async listSubscriptions(status) {
      const rows: StripeSubscriptionRow[] = [];
      let startingAfter: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        await options.beforeRequest?.();
        const list = await stripe.subscriptions.list({ status, limit: pageSize, ...(startingAfter ? { starting_after: startingAfter } : {}) });
        rows.push(...list.data.map((subscription) => ({ id: subscription.id, stripeCustomerId: customerIdOf(subscription.customer), status: subscription.status })));
        const last = list.data[list.data.length - 1];
        if (!list.has_more || !last) return rows;
        startingAfter = last.id;
      }
      throw new Error(`stripe listSubscriptions: more than ${MAX_PAGES} pages`);
    },
    async retrieveSubscription(id) {
      await options.beforeRequest?.();
      try {
        return await stripe.subscriptions.retrieve(id, { expand: ["customer"] });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return null;
        throw error;
      }
    },
  };
}
