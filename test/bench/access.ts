import { Pool } from "undici";
import type { FakeCircle } from "../fakes/circle";
import { newPurchase } from "../helpers/stripe-events";
import { ErrorTally, latencySummary, postEvent, signedCheckout, type Latency } from "./load";

// Payment to access: purchases sent at a steady rate (open loop: the schedule does not wait
// for answers), each timed from the moment its webhook is sent to the moment the fake
// Circle holds the buyer in the access group. The fake runs in this process, so its state
// is read directly, every WATCH_MS.

const WATCH_MS = 2;

export interface AccessOptions {
  origin: string;
  path: string;
  secret: string;
  purchases: number;
  perSecond: number;
  /** How long to wait for the last grants after the last purchase was sent. */
  settleMs: number;
  circle: FakeCircle;
  accessGroupId: number;
}

export interface AccessResult {
  sent: number;
  granted: number;
  /** Webhook sent to membership held, ms, over the granted purchases. */
  latency: Latency;
  errors: ErrorTally;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function paymentToAccess(options: AccessOptions): Promise<AccessResult> {
  const sentAt = new Map<string, number>();
  const grantedAt = new Map<string, number>();
  // Members are only added during the run, and membersOf lists them in the order they were added.
  let seen = options.circle.membersOf(options.accessGroupId).length;
  const watch = setInterval(() => {
    const members = options.circle.membersOf(options.accessGroupId);
    const now = performance.now();
    for (; seen < members.length; seen++) grantedAt.set(members[seen]!, now);
  }, WATCH_MS);

  const pool = new Pool(options.origin, { connections: 8 });
  const errors = new ErrorTally();
  const acks: Array<Promise<void>> = [];
  try {
    const start = performance.now();
    for (let i = 0; i < options.purchases; i++) {
      await sleep(start + (i * 1000) / options.perSecond - performance.now());
      const purchase = newPurchase();
      const event = signedCheckout(options.secret, purchase);
      sentAt.set(purchase.email, performance.now());
      acks.push(postEvent(pool, options.path, event).then((failure) => void (failure && errors.add(failure))));
    }
    await Promise.all(acks);
    const deadline = performance.now() + options.settleMs;
    while (grantedAt.size < sentAt.size && performance.now() < deadline) await sleep(20);
  } finally {
    clearInterval(watch);
    await pool.close();
  }

  const latencies = [...sentAt].flatMap(([email, at]) => {
    const granted = grantedAt.get(email);
    return granted === undefined ? [] : [granted - at];
  });
  return { sent: sentAt.size, granted: latencies.length, latency: latencySummary(latencies), errors };
}
