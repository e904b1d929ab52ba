import { FakeApiServer, type FaultAction, type FaultMatch, type Incoming, type Reply } from "./server";

// A stand-in for the part of Stripe's API the reconciler reads: subscriptions listed (by status,
// cursor-paginated with `starting_after`, `has_more`, `limit` up to 100) and retrieved (with
// `expand[]=customer`), in Stripe's own shapes (`object: "list"`, `url`, errors as
// `{error: {type, message}}`). Authorised with `Authorization: Bearer <secret key>`, as the
// `stripe` package sends it. Subscriptions are planted by hand: what Stripe holds when the
// webhooks about it never came.

export const FAKE_STRIPE_SECRET_KEY = "sk_test_fake_stripe_key";

export type StripeFault = FaultMatch & FaultAction;

export interface FakeSubscriptionInput {
  id?: string;
  customer: { id: string; email: string; name?: string | null };
  status: "active" | "past_due" | "trialing" | "canceled" | "unpaid" | "incomplete" | "paused";
  priceId: string;
  /** Unix seconds. */
  created?: number;
  currentPeriodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  endedAt?: number | null;
  metadata?: Record<string, string>;
}

interface StoredSubscription extends Required<Omit<FakeSubscriptionInput, "metadata" | "endedAt">> {
  id: string;
  endedAt: number | null;
  metadata: Record<string, string>;
}

/** Stripe's clients send arrays as `expand[0]=...` (indices) or `expand[]=...`: read both. */
function expanded(query: URLSearchParams): string[] {
  return [...query].filter(([key]) => /^expand\[\d*\]$/.test(key)).map(([, value]) => value);
}

const stripeError = (status: number, type: string, message: string): Reply => ({ status, body: { error: { type, message } } });

export class FakeStripe extends FakeApiServer<StripeFault> {
  readonly secretKey: string;
  private subscriptions = new Map<string, StoredSubscription>();
  private nextId = 1;

  constructor(options: { secretKey?: string } = {}) {
    super("");
    this.secretKey = options.secretKey ?? FAKE_STRIPE_SECRET_KEY;
  }

  protected faultReply = (fault: StripeFault & { status: number }): Reply =>
    fault.status === 429 ? stripeError(429, "invalid_request_error", "Too many requests") : stripeError(fault.status, "api_error", "Something went wrong on Stripe's end.");
  protected internalError = () => stripeError(500, "api_error", "Something went wrong on Stripe's end.");

  protected clearState(): void {
    this.subscriptions.clear();
    this.nextId = 1;
  }

  /** Plants a subscription; returns its id. */
  addSubscription(input: FakeSubscriptionInput): string {
    const now = Math.floor(Date.now() / 1000);
    const id = input.id ?? `sub_fake${String(this.nextId++).padStart(8, "0")}`;
    this.subscriptions.set(id, {
      id,
      customer: { id: input.customer.id, email: input.customer.email, name: input.customer.name ?? null },
      status: input.status,
      priceId: input.priceId,
      created: input.created ?? now,
      currentPeriodEnd: input.currentPeriodEnd ?? now + 30 * 86_400,
      cancelAtPeriodEnd: input.cancelAtPeriodEnd ?? false,
      endedAt: input.endedAt ?? null,
      metadata: input.metadata ?? {},
    });
    return id;
  }

  /** A change made in Stripe (its webhook may or may not come). */
  updateSubscription(id: string, change: Partial<Pick<StoredSubscription, "status" | "endedAt" | "cancelAtPeriodEnd">>): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new Error(`fake Stripe: no subscription ${id}`);
    Object.assign(subscription, change);
  }

  subscriptionCount(): number {
    return this.subscriptions.size;
  }

  private subscriptionJson(subscription: StoredSubscription, expandCustomer: boolean) {
    const customer = expandCustomer
      ? { id: subscription.customer.id, object: "customer", email: subscription.customer.email, name: subscription.customer.name, metadata: {} }
      : subscription.customer.id;
    return {
      id: subscription.id,
      object: "subscription",
      customer,
      status: subscription.status,
      created: subscription.created,
      cancel_at_period_end: subscription.cancelAtPeriodEnd,
      cancel_at: null,
      canceled_at: subscription.endedAt,
      ended_at: subscription.endedAt,
      livemode: false,
      metadata: subscription.metadata,
      items: {
        object: "list",
        url: `/v1/subscription_items?subscription=${subscription.id}`,
        has_more: false,
        data: [
          {
            id: `si_${subscription.id.slice(4)}`,
            object: "subscription_item",
            current_period_end: subscription.currentPeriodEnd,
            current_period_start: subscription.currentPeriodEnd - 30 * 86_400,
            price: { id: subscription.priceId, object: "price", currency: "usd", unit_amount: 4900, recurring: { interval: "month", interval_count: 1 } },
            quantity: 1,
            subscription: subscription.id,
          },
        ],
      },
    };
  }

  protected route({ method, path, query, headers }: Incoming): Reply {
    if (headers.authorization !== `Bearer ${this.secretKey}`) {
      return stripeError(401, "invalid_request_error", "Invalid API Key provided.");
    }
    if (path === "/v1/subscriptions" && method === "GET") return this.list(query);
    const one = /^\/v1\/subscriptions\/([A-Za-z0-9_]+)$/.exec(path);
    if (one && method === "GET") {
      const subscription = this.subscriptions.get(one[1]!);
      if (!subscription) return stripeError(404, "invalid_request_error", `No such subscription: '${one[1]}'`);
      return { status: 200, body: this.subscriptionJson(subscription, expanded(query).includes("customer")) };
    }
    return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
  }

  // Newest first, as Stripe lists; `status` defaults to every status but canceled (Stripe's rule).
  private list(query: URLSearchParams): Reply {
    const limit = Math.min(100, Math.max(1, Number(query.get("limit") ?? 10) || 10));
    const status = query.get("status");
    const startingAfter = query.get("starting_after");
    const all = [...this.subscriptions.values()]
      .filter((subscription) => (status === null ? subscription.status !== "canceled" : status === "all" || subscription.status === status))
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    let start = 0;
    if (startingAfter) {
      const index = all.findIndex((subscription) => subscription.id === startingAfter);
      if (index < 0) return stripeError(400, "invalid_request_error", `No such subscription: '${startingAfter}'`);
      start = index + 1;
    }
    const page = all.slice(start, start + limit);
    const expandCustomer = expanded(query).includes("data.customer");
    return {
      status: 200,
      body: { object: "list", url: "/v1/subscriptions", has_more: start + limit < all.length, data: page.map((subscription) => this.subscriptionJson(subscription, expandCustomer)) },
    };
  }
}

export function createFakeStripe(options: { secretKey?: string } = {}): FakeStripe {
  return new FakeStripe(options);
}
