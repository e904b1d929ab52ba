import type { Env } from "../config";
import type { Database } from "../db";
import { createCircleClient, type CircleClient } from "../integrations/circle";
import { STRIPE_DEFAULT_API_URL } from "../integrations/stripe";
import { circleLimits, createBackgroundBudget, createRequestBudget, KIT_BUDGET, STRIPE_BUDGET, type RequestBudget } from "../jobs/budget";
import type { PlanCatalog } from "../lifecycle/catalog";
import { createReconcileClients } from "./clients";
import { setQuotaSource } from "./metrics";
import { parsePolicy } from "./policy";
import type { ReconcilerDeps } from "./run";

// The reconciler and the invitation checks as a process runs them, from the parsed env: the
// background share of each provider budget, the clients that take from it, the policy.

export interface BackgroundWork {
  reconciler: ReconcilerDeps | null;
  /** The Circle client invitation checks use (background share). */
  circleBackground: CircleClient;
  reconcileIntervalMs: number;
}

export function createBackgroundWork(
  db: Database,
  catalog: PlanCatalog,
  config: Env,
  budgets: { circle: RequestBudget; circleKey: string; kit: RequestBudget; kitKey: string; stripeKey: string },
): BackgroundWork {
  const share = config.RECONCILE_SHARE;
  const circleLimit = circleLimits(config.CIRCLE_PLAN, config.CIRCLE_MONTHLY_QUOTA);
  const stripeBudget = createRequestBudget(db, budgets.stripeKey, STRIPE_BUDGET);
  const background = {
    circle: createBackgroundBudget(db, budgets.circle, budgets.circleKey, circleLimit, share),
    kit: createBackgroundBudget(db, budgets.kit, budgets.kitKey, KIT_BUDGET, share),
    stripe: createBackgroundBudget(db, stripeBudget, budgets.stripeKey, STRIPE_BUDGET, share),
  };
  setQuotaSource(async () =>
    Promise.all([
      budgets.circle.usage().then((usage) => ({ ...usage, provider: "circle" })),
      budgets.kit.usage().then((usage) => ({ ...usage, provider: "kit" })),
      stripeBudget.usage().then((usage) => ({ ...usage, provider: "stripe" })),
    ]),
  );
  const clients = createReconcileClients({
    circle: config.CIRCLE_API_TOKEN ? { baseUrl: config.CIRCLE_API_URL, token: config.CIRCLE_API_TOKEN } : null,
    kit: config.KIT_API_KEY ? { baseUrl: config.KIT_API_URL, apiKey: config.KIT_API_KEY } : null,
    stripe: config.STRIPE_SECRET_KEY ? { apiUrl: config.STRIPE_API_URL ?? STRIPE_DEFAULT_API_URL, secretKey: config.STRIPE_SECRET_KEY } : null,
    budgets: background,
  });
  const configured = clients.circle || clients.kit || clients.stripe;
  return {
    reconciler: configured ? { db, catalog, clients, policy: parsePolicy(config.RECONCILE_POLICY) } : null,
    circleBackground: createCircleClient({ baseUrl: config.CIRCLE_API_URL, token: config.CIRCLE_API_TOKEN ?? "", beforeRequest: background.circle.take }),
    reconcileIntervalMs: config.RECONCILE_INTERVAL_MINUTES * 60_000,
  };
}
