import { ZodError } from "zod";
import { BudgetExhaustedError } from "./budget";

// The one place that decides what a failed job does next. Handlers say it by throwing a
// JobFailure (or a budget's BudgetExhaustedError); anything else is an unexpected error (a
// database blip, a bug fixed by a deploy) and gets the retry budget too.

export type Verdict =
  /** Try again after backoff; a provider's Retry-After is the floor. `expected`: a normal wait, not a fault (logged at info). */
  | { next: "retry"; retryAfterMs: number | null; expected: boolean }
  /** Our own request budget for the provider is spent: wait for it to reopen; not a failed attempt. */
  | { next: "wait_for_budget"; provider: string; reopensInMs: number }
  /** Retrying cannot help: dead-letter now. */
  | { next: "give_up" };

export class JobFailure extends Error {
  constructor(
    message: string,
    readonly verdict: Verdict,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "JobFailure";
  }
}

export function classifyJobError(error: unknown): Verdict {
  if (error instanceof BudgetExhaustedError) return { next: "wait_for_budget", provider: error.provider, reopensInMs: error.retryAfterMs };
  if (error instanceof JobFailure) return error.verdict;
  // A payload its kind's schema rejects will never parse.
  if (error instanceof ZodError) return { next: "give_up" };
  return { next: "retry", retryAfterMs: null, expected: false };
}

/** What the outbox keeps as the job's last error: the underlying error's name and message. */
export function failureMessage(error: unknown): string {
  const reported = error instanceof JobFailure && error.cause instanceof Error ? error.cause : error;
  return reported instanceof Error ? `${reported.name}: ${reported.message}` : String(reported);
}
