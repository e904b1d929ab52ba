import { Pool } from "undici";
import { checkoutCompleted, newPurchase, signStripe, type Purchase } from "../../lib/sandbox/stripe-events";

// A closed-loop HTTP load generator: N senders on N keep-alive connections, each sending its
// next request as soon as the previous one is answered. Every request is a distinct Stripe
// event, signed just before it is sent, so signing cost is on this (the client's) side.

export interface SignedEvent {
  body: string;
  signature: string;
}

/** A purchase's checkout.session.completed, signed now. */
export function signedCheckout(secret: string, purchase: Purchase = newPurchase()): SignedEvent {
  const body = JSON.stringify(checkoutCompleted(purchase));
  return { body, signature: signStripe(body, secret) };
}

/** POSTs a signed event; resolves with an error description, or null for a 2xx answer. */
export async function postEvent(pool: Pool, path: string, event: SignedEvent): Promise<string | null> {
  try {
    const response = await pool.request({
      method: "POST",
      path,
      headers: { "content-type": "application/json", "stripe-signature": event.signature },
      body: event.body,
    });
    const text = await response.body.text();
    return response.statusCode >= 200 && response.statusCode < 300 ? null : `HTTP ${response.statusCode} ${text.slice(0, 160)}`;
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Counts failures by description. */
export class ErrorTally {
  readonly kinds = new Map<string, number>();
  count = 0;

  add(description: string) {
    this.count += 1;
    this.kinds.set(description, (this.kinds.get(description) ?? 0) + 1);
  }

  describe(): string {
    return [...this.kinds].map(([kind, n]) => `${n} x ${kind}`).join("; ");
  }
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles, in the samples' unit. */
export function latencySummary(samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return { p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

export interface ClosedLoopOptions {
  origin: string;
  path: string;
  senders: number;
  warmupMs: number;
  measureMs: number;
  secret: string;
}

export interface ClosedLoopResult {
  eventsPerSecond: number;
  /** Ack latency of the measured requests, ms. */
  latency: Latency;
  /** 2xx answers over the whole cell, warm-up included (each one is a ledger row on a webhook route). */
  acked: number;
  /** Failures over the whole cell, warm-up included. */
  errors: ErrorTally;
}

export async function closedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const pool = new Pool(options.origin, { connections: options.senders, pipelining: 1 });
  const measureFrom = performance.now() + options.warmupMs;
  const stopAt = measureFrom + options.measureMs;
  const latencies: number[] = [];
  const errors = new ErrorTally();
  let acked = 0;
  let lastAnswer = measureFrom;

  async function sender() {
    while (performance.now() < stopAt) {
      const event = signedCheckout(options.secret);
      const sentAt = performance.now();
      const failure = await postEvent(pool, options.path, event);
      const answeredAt = performance.now();
      if (failure) errors.add(failure);
      else acked += 1;
      // Requests sent during the warm-up are not measured.
      if (failure || sentAt < measureFrom) continue;
      latencies.push(answeredAt - sentAt);
      lastAnswer = Math.max(lastAnswer, answeredAt);
    }
  }

  try {
    await Promise.all(Array.from({ length: options.senders }, sender));
  } finally {
    await pool.close();
  }
  const seconds = (lastAnswer - measureFrom) / 1000;
  return {
    eventsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    latency: latencySummary(latencies),
    acked,
    errors,
  };
}
