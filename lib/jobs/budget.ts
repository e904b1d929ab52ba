import type { Database } from "../db";

// A request budget per provider credential, shared by every worker through the database:
// a fixed window counter, plus a pause that a 429 sets for everyone. One statement a request.

export interface BudgetLimits {
  limit: number;
  windowMs: number;
}

/** Published limits: Kit 120 requests per 60 s per API key, Circle 2,000 per 5 minutes. */
export const KIT_BUDGET: BudgetLimits = { limit: 120, windowMs: 60_000 };
export const CIRCLE_BUDGET: BudgetLimits = { limit: 2_000, windowMs: 5 * 60_000 };

export class BudgetExhaustedError extends Error {
  readonly retryable = true;
  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
  ) {
    super(`request budget ${key} exhausted; retry in ${retryAfterMs} ms`);
    this.name = "BudgetExhaustedError";
  }

  /** Budgets are keyed "<provider>:<credential hash>". */
  get provider(): string {
    return this.key.split(":")[0] ?? this.key;
  }
}

const TAKE_SQL = `
INSERT INTO "ProviderBudget" (key, "windowStart", used) VALUES ($1, now(), 1)
ON CONFLICT (key) DO UPDATE SET
  used = CASE WHEN "ProviderBudget"."windowStart" <= now() - make_interval(secs => $2::double precision / 1000)
              THEN 1 ELSE "ProviderBudget".used + 1 END,
  "windowStart" = CASE WHEN "ProviderBudget"."windowStart" <= now() - make_interval(secs => $2::double precision / 1000)
              THEN now() ELSE "ProviderBudget"."windowStart" END
RETURNING used,
  GREATEST(0, EXTRACT(EPOCH FROM ("windowStart" + make_interval(secs => $2::double precision / 1000) - now())) * 1000)::float8 AS "windowLeftMs",
  GREATEST(0, EXTRACT(EPOCH FROM (COALESCE("blockedUntil", now()) - now())) * 1000)::float8 AS "blockedMs"`;

export interface RequestBudget {
  /** Takes one request from the budget or throws BudgetExhaustedError. */
  take(): Promise<void>;
  /** Pauses every worker on this budget (the provider said 429). */
  pause(ms: number): Promise<void>;
}

export function createRequestBudget(db: Database, key: string, limits: BudgetLimits): RequestBudget {
  return {
    async take() {
      const [row] = await db.sql<{ used: number; windowLeftMs: number; blockedMs: number }>(TAKE_SQL, [key, limits.windowMs], { prepare: "budget_take" });
      if (!row) throw new Error("request budget: no row returned");
      if (row.blockedMs > 0) throw new BudgetExhaustedError(key, Math.ceil(row.blockedMs));
      if (row.used > limits.limit) throw new BudgetExhaustedError(key, Math.max(1, Math.ceil(row.windowLeftMs)));
    },
    async pause(ms: number) {
      await db.sql(
        `UPDATE "ProviderBudget" SET "blockedUntil" = GREATEST(COALESCE("blockedUntil", now()), now() + make_interval(secs => $2::double precision / 1000))
          WHERE key = $1 RETURNING key`,
        [key, ms],
      );
    },
  };
}
