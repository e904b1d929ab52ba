import { createCircleClient } from "../integrations/circle";
import { createKitClient } from "../integrations/kit";
import { createStripeReader } from "../integrations/stripe";
import { BudgetExhaustedError, ShareSpentError, type RequestBudget } from "../jobs/budget";
import type { ReconcileProvider } from "./classify";
import type { ReconcileClients } from "./run";

// The reconciler's own clients: the product's Circle, Kit and Stripe clients, each taking every
// request from the background share of its provider's budget (lib/jobs/budget.ts) and counted,
// so a run reports how many requests it sent to each provider.

export interface ReconcileConnections {
  circle: { baseUrl: string; token: string } | null;
  kit: { baseUrl: string; apiKey: string } | null;
  stripe: { apiUrl: string; secretKey: string } | null;
  /** The background budgets (createBackgroundBudget), one per provider. */
  budgets: Record<ReconcileProvider, RequestBudget>;
  timeoutMs?: number;
  /**
   * A refusal that reopens within this long (a rate window: Stripe's second, Kit's minute) is
   * waited out; a longer one (the day's or the month's share) stops the run. Default 60 s.
   */
  maxWaitMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createReconcileClients(connections: ReconcileConnections): ReconcileClients {
  const requests: Record<ReconcileProvider, number> = { circle: 0, kit: 0, stripe: 0 };
  const maxWaitMs = connections.maxWaitMs ?? 60_000;
  const counted = (provider: ReconcileProvider) => async () => {
    for (;;) {
      try {
        await connections.budgets[provider].take();
        requests[provider]++;
        return;
      } catch (error) {
        const spent = error instanceof ShareSpentError || error instanceof BudgetExhaustedError;
        if (!spent || error.retryAfterMs > maxWaitMs) throw error;
        await sleep(error.retryAfterMs);
      }
    }
  };
  const { circle, kit, stripe, timeoutMs } = connections;
  return {
    requests,
    circle: circle && createCircleClient({ baseUrl: circle.baseUrl, token: circle.token, timeoutMs, beforeRequest: counted("circle") }),
    kit: kit && createKitClient({ baseUrl: kit.baseUrl, apiKey: kit.apiKey, timeoutMs, beforeRequest: counted("kit") }),
    stripe: stripe && createStripeReader({ secretKey: stripe.secretKey, apiUrl: stripe.apiUrl, timeoutMs, beforeRequest: counted("stripe") }),
  };
}

