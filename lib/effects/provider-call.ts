import { IntegrationError } from "../integrations/errors";
import type { RequestBudget } from "../jobs/budget";
import { JobFailure } from "../jobs/errors";

// Every Circle and Kit call a job makes goes through here: a 429 pauses the provider's budget
// for every worker, and a failed call becomes the outbox's verdict (retry, or give up when the
// provider says retrying cannot help). A spent budget (BudgetExhaustedError) passes through.

export function createProviderCall(budget: RequestBudget, defaultRateLimitPauseMs: number) {
  return async function call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof IntegrationError)) throw error;
      if (error.status === 429) await budget.pause(error.retryAfterMs ?? defaultRateLimitPauseMs);
      const verdict = error.retryable ? { next: "retry" as const, retryAfterMs: error.retryAfterMs, expected: false } : { next: "give_up" as const };
      throw new JobFailure(error.message, verdict, { cause: error });
    }
  };
}

export type ProviderCall = ReturnType<typeof createProviderCall>;
