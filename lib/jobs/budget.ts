import type { Database } from "../db";

// A request budget per provider credential, shared by every worker through the database: a
// sliding window (at most `limit` requests in any `windowMs`, as Kit counts its rolling
// minute), plus a pause that a 429 sets for everyone. One statement a granted request.

export interface BudgetLimits {
  limit: number;
  windowMs: number;
}

/** Published limits: Kit 120 requests per 60 s per API key, Circle 2,000 per 5 minutes. */
export const KIT_BUDGET: BudgetLimits = { limit: 120, windowMs: 60_000 };
export const CIRCLE_BUDGET: BudgetLimits = { limit: 2_000, windowMs: 5 * 60_000 };

export class BudgetExhaustedError extends Error {
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

/** The grant times still inside the window ($2 ms), as a SQL expression on the row. */
const IN_WINDOW = `(SELECT t FROM unnest(recent) AS t WHERE t > now() - make_interval(secs => $2::float8 / 1000))`;

// The row lock of the UPDATE orders concurrent takes: each one re-reads the row the one before
// it wrote, so no two workers can both take the last request of a window.
const TAKE_SQL = `
UPDATE "ProviderBudget" SET recent = ARRAY${IN_WINDOW} || now()
 WHERE key = $1
   AND COALESCE("blockedUntil", now()) <= now()
   AND (SELECT count(*) FROM ${IN_WINDOW} AS kept) < $3
RETURNING key`;

/** Why a take was refused: how long the pause lasts, and when the window's oldest request leaves it. */
const REFUSAL_SQL = `
SELECT GREATEST(0, EXTRACT(EPOCH FROM (COALESCE("blockedUntil", now()) - now())) * 1000)::float8 AS "blockedMs",
       COALESCE(GREATEST(0, EXTRACT(EPOCH FROM (kept.oldest + make_interval(secs => $2::float8 / 1000) - now())) * 1000), 0)::float8 AS "windowLeftMs",
       kept.used
  FROM "ProviderBudget",
       LATERAL (SELECT min(t) AS oldest, count(*)::int AS used FROM ${IN_WINDOW} AS window_grants(t)) AS kept
 WHERE key = $1`;

export interface RequestBudget {
  /** Takes one request from the budget or throws BudgetExhaustedError. */
  take(): Promise<void>;
  /** Pauses every worker on this budget (the provider said 429). */
  pause(ms: number): Promise<void>;
}

export function createRequestBudget(db: Database, key: string, limits: BudgetLimits): RequestBudget {
  return {
    async take() {
      // A refusal is re-checked: the window may have freed a place between the two statements,
      // and the first take of a new key finds no row to update.
      for (let attempt = 0; attempt < 3; attempt++) {
        const granted = await db.sql(TAKE_SQL, [key, limits.windowMs, limits.limit], { prepare: "budget_take" });
        if (granted.length > 0) return;
        const [row] = await db.sql<{ blockedMs: number; windowLeftMs: number; used: number }>(REFUSAL_SQL, [key, limits.windowMs]);
        if (!row) {
          await db.sql(`INSERT INTO "ProviderBudget" (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key`, [key]);
          continue;
        }
        if (row.blockedMs > 0) throw new BudgetExhaustedError(key, Math.ceil(row.blockedMs));
        if (row.used >= limits.limit) throw new BudgetExhaustedError(key, Math.max(1, Math.ceil(row.windowLeftMs)));
      }
      throw new BudgetExhaustedError(key, 1);
    },
    async pause(ms: number) {
      await db.sql(
        `INSERT INTO "ProviderBudget" (key, "blockedUntil") VALUES ($1, now() + make_interval(secs => $2::double precision / 1000))
         ON CONFLICT (key) DO UPDATE SET "blockedUntil" = GREATEST(COALESCE("ProviderBudget"."blockedUntil", now()), EXCLUDED."blockedUntil")
         RETURNING key`,
        [key, ms],
      );
    },
  };
}
