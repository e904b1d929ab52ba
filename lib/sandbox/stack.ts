import type { Database } from "../db";
import type { JobHandlers } from "../jobs/worker";
import { createWorker, type Worker } from "../jobs/worker";
import { parseCatalog, type PlanCatalog } from "../lifecycle/catalog";
import { createKitWebhookHandler, signKitPayload } from "../webhooks/kit";
import { createLedgerWriter } from "../webhooks/ledger";
import { createStripeWebhookHandler } from "../webhooks/stripe";
import { createFakeCircle, type FakeCircle } from "./circle";
import { createFakeKit, type FakeKit } from "./kit";
import { handlersForFakes } from "./handlers";
import { createTestDatabase, type TestDatabase } from "./database";
import { signStripe } from "./stripe-events";

// The sandbox harness: the whole spine wired against the sandbox stand-ins, used by the tests,
// the eval suite (`npm run eval`) and the benchmarks. A fresh database, fake Circle and Kit over
// real HTTP, a plan catalog whose ids are the fakes' ids, the real webhook handlers, and a worker.
// Product code: no dependency on vitest or on test/.

/** Retries in milliseconds, so a test sees a provider's retries to the dead letter in about a second. */
export const TEST_BACKOFF = { baseMs: 20, capMs: 200 };

export const STRIPE_SECRET = "whsec_test_spine_secret";
export const KIT_SECRET = "kit_test_spine_secret";

export interface Stack {
  testDb: TestDatabase;
  db: Database;
  circle: FakeCircle;
  kit: FakeKit;
  catalog: PlanCatalog;
  ids: { communityGroup: number; masterclassGroup: number; activeTag: number; onboardingTag: number; pastDueTag: number; canceledTag: number; refundedTag: number; promoTag: number };
  worker: Worker;
  /** The real job handlers the worker runs, for a test that needs a worker of its own. */
  handlers: JobHandlers;
  postStripe(event: object, options?: { secret?: string; timestamp?: number }): Promise<Response>;
  postKit(body: object, options?: { secret?: string; timestamp?: number }): Promise<Response>;
  /** Hands a hand-built request to the provider's handler. */
  postRaw(provider: "stripe" | "kit", request: Request): Promise<Response>;
  /** Runs the worker until no job is due or in flight (scheduled retries included). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  catalogGraceDays?: number;
  /**
   * How long a Circle or Kit call may take before the client gives up (300 ms: fault tests see
   * timeouts quickly). Tests that count provider requests under load want more, so a slow answer
   * is not retried and counted twice.
   */
  providerTimeoutMs?: number;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const testDb = await createTestDatabase();
  const { db } = testDb;
  const circle = createFakeCircle();
  const kit = createFakeKit();
  const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
  const ids = {
    communityGroup: circle.addAccessGroup("Community"),
    masterclassGroup: circle.addAccessGroup("Masterclass"),
    activeTag: kit.addTag("paid_active"),
    onboardingTag: kit.addTag("onboarding"),
    pastDueTag: kit.addTag("payment_failed"),
    canceledTag: kit.addTag("offboarding"),
    refundedTag: kit.addTag("refunded"),
    promoTag: kit.addTag("promotions"),
  };
  const catalog = parseCatalog({
    version: 1,
    paymentGraceDays: options.catalogGraceDays ?? 7,
    promotionalTagIds: [ids.promoTag],
    plans: [
      {
        key: "community_monthly",
        name: "Community (monthly)",
        stripePriceIds: ["price_demo_community_monthly"],
        circleAccessGroupIds: [ids.communityGroup],
        kitTagIds: { active: [ids.activeTag], onboarding: [ids.onboardingTag], pastDue: [ids.pastDueTag], canceled: [ids.canceledTag], refunded: [ids.refundedTag] },
      },
      {
        key: "masterclass",
        name: "Masterclass",
        stripePriceIds: ["price_demo_masterclass"],
        circleAccessGroupIds: [ids.masterclassGroup],
        kitTagIds: { active: [ids.activeTag], refunded: [ids.refundedTag] },
      },
    ],
  });
  const handlers = handlersForFakes({ db, catalog, circleUrl: circleServer.url, kitUrl: kitServer.url, timeoutMs: options.providerTimeoutMs ?? 300 });
  const worker = createWorker({ db, handlers, concurrency: 4, pollMs: 10, leaseMs: 5_000, backoff: TEST_BACKOFF });
  const ledger = createLedgerWriter(db);
  const stripeHandler = createStripeWebhookHandler({ ledger, secret: STRIPE_SECRET });
  const kitHandler = createKitWebhookHandler({ ledger, secret: KIT_SECRET });

  return {
    testDb,
    db,
    circle,
    kit,
    catalog,
    ids,
    worker,
    handlers,
    postStripe(event, opts = {}) {
      const payload = JSON.stringify(event);
      return stripeHandler(
        new Request("http://test/api/webhooks/stripe", {
          method: "POST",
          headers: { "stripe-signature": signStripe(payload, opts.secret ?? STRIPE_SECRET, opts.timestamp), "content-type": "application/json" },
          body: payload,
        }),
      );
    },
    postKit(body, opts = {}) {
      const payload = JSON.stringify(body);
      return kitHandler(
        new Request("http://test/api/webhooks/kit", {
          method: "POST",
          headers: { "x-kit-signature": signKitPayload(payload, opts.secret ?? KIT_SECRET, opts.timestamp), "content-type": "application/json" },
          body: payload,
        }),
      );
    },
    postRaw(provider, request) {
      return provider === "stripe" ? stripeHandler(request) : kitHandler(request);
    },
    async drain(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ran = await worker.runOnce();
        if (ran > 0) continue;
        const [pending] = await db.sql<{ n: number; soonest: number | null }>(
          `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM (min("runAt") - now()))::float8 * 1000 AS soonest
             FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" < now() + interval '10 seconds'`,
        );
        if (!pending || pending.n === 0) return;
        if (Date.now() > deadline) throw new Error(`drain: ${pending.n} jobs still pending after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(5, pending.soonest ?? 10))));
      }
    },
    async stop() {
      await worker.stop();
      await Promise.all([circle.stop(), kit.stop()]);
      await testDb.drop();
    },
  };
}
