import type { Database } from "../db";
import { circleLimits, createBackgroundBudget, createRequestBudget, KIT_BUDGET, STRIPE_BUDGET, type CirclePlan, type RequestBudget } from "../jobs/budget";
import type { PlanCatalog } from "../lifecycle/catalog";
import { createReconcileClients } from "../reconcile/clients";
import { DEFAULT_POLICY, type DriftPolicy } from "../reconcile/policy";
import type { ReconcilerDeps } from "../reconcile/run";
import { FAKE_CIRCLE_TOKEN } from "./circle";
import { FAKE_KIT_API_KEY } from "./kit";
import { FAKE_STRIPE_SECRET_KEY } from "./stripe";

// Part of the sandbox harness (tests, benchmarks): the reconciler with its real clients pointed
// at the fake Circle, Kit and Stripe, each request taken from the background share of budgets
// keyed as the sandbox's worker keys its own ("circle:test", "kit:test"), on an injectable clock.

export interface FakeReconcilerOptions {
  db: Database;
  catalog: PlanCatalog;
  circleUrl: string;
  kitUrl: string;
  stripeUrl: string | null;
  policy?: DriftPolicy;
  share?: number;
  circlePlan?: CirclePlan;
  now?: () => Date;
  timeoutMs?: number;
  /** Refusals shorter than this are waited out (0 with a simulated clock: real waiting cannot move it). */
  maxWaitMs?: number;
}

export interface FakeReconciler {
  deps: ReconcilerDeps;
  /** The provider budgets grants take from (the background shares draw on them too). */
  main: { circle: RequestBudget; kit: RequestBudget; stripe: RequestBudget };
}

export function reconcilerForFakes(options: FakeReconcilerOptions): FakeReconciler {
  const { db, now } = options;
  const share = options.share ?? 0.5;
  const circleLimit = circleLimits(options.circlePlan ?? "business");
  const main = {
    circle: createRequestBudget(db, "circle:test", circleLimit, { now }),
    kit: createRequestBudget(db, "kit:test", KIT_BUDGET, { now }),
    stripe: createRequestBudget(db, "stripe:test", STRIPE_BUDGET, { now }),
  };
  const clients = createReconcileClients({
    circle: { baseUrl: options.circleUrl, token: FAKE_CIRCLE_TOKEN },
    kit: { baseUrl: options.kitUrl, apiKey: FAKE_KIT_API_KEY },
    stripe: options.stripeUrl ? { apiUrl: options.stripeUrl, secretKey: FAKE_STRIPE_SECRET_KEY } : null,
    budgets: {
      circle: createBackgroundBudget(db, main.circle, "circle:test", circleLimit, share, { now }),
      kit: createBackgroundBudget(db, main.kit, "kit:test", KIT_BUDGET, share, { now }),
      stripe: createBackgroundBudget(db, main.stripe, "stripe:test", STRIPE_BUDGET, share, { now }),
    },
    timeoutMs: options.timeoutMs ?? 5_000,
    maxWaitMs: options.maxWaitMs,
  });
  return { deps: { db, catalog: options.catalog, clients, policy: options.policy ?? DEFAULT_POLICY, now }, main };
}
