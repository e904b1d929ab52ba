import type { Database } from "../db";

// A request budget per provider credential, shared by every worker through the database: a
// sliding window (at most `limit` requests in any `windowMs`, as Kit counts its rolling
// minute), plus a pause that a 429 sets for everyone. One statement a granted request.

export interface BudgetLimits {
  limit: number;
  windowMs: number;
  /** A quota per calendar month (UTC), on top of the window: Circle's plan quota. Unset: none. */
  monthly?: number | null;
}

/** Published limits: Kit 120 requests per 60 s per API key, Circle 2,000 per 5 minutes. */
export const KIT_BUDGET: BudgetLimits = { limit: 120, windowMs: 60_000 };
export const CIRCLE_BUDGET: BudgetLimits = { limit: 2_000, windowMs: 5 * 60_000 };
/** Stripe allows 100 read requests per second in live mode (25 in test mode): the lower one. */
export const STRIPE_BUDGET: BudgetLimits = { limit: 25, windowMs: 1_000 };

/** Circle's Admin API requests per month, by plan. */
export const CIRCLE_PLAN_QUOTAS = { business: 5_000, enterprise: 30_000, plus_platform: 250_000 } as const;
export type CirclePlan = keyof typeof CIRCLE_PLAN_QUOTAS;
export const CIRCLE_PLANS = Object.keys(CIRCLE_PLAN_QUOTAS) as CirclePlan[];

/** Circle's limits for a plan: the 5-minute window and the plan's monthly quota (or an explicit one). */
export function circleLimits(plan: CirclePlan, monthlyOverride?: number): BudgetLimits {
  return { ...CIRCLE_BUDGET, monthly: monthlyOverride ?? CIRCLE_PLAN_QUOTAS[plan] };
}

/**
 * The part of a provider's limits that background work (the reconciler, invitation checks) may
 * use: `share` of each window and of the month, and the month's share spread over its days so
 * one busy day cannot spend the month. The rest stays for grants and revokes, which never wait
 * on background work.
 */
export function backgroundShare(limits: BudgetLimits, share: number): { window: BudgetLimits; daily: BudgetLimits | null } {
  const window = { limit: Math.max(1, Math.floor(limits.limit * share)), windowMs: limits.windowMs, monthly: limits.monthly ? Math.max(1, Math.floor(limits.monthly * share)) : null };
  const daily = window.monthly ? { limit: Math.max(1, Math.floor(window.monthly / 31)), windowMs: 24 * 60 * 60_000 } : null;
  return { window, daily };
}

export class BudgetExhaustedError extends Error {
  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
    /** Which limit refused: the sliding window (or a 429 pause), or the monthly quota. */
    readonly limit: "window" | "month" = "window",
  ) {
    super(`request budget ${key} exhausted (${limit}); retry in ${retryAfterMs} ms`);
    this.name = "BudgetExhaustedError";
  }

  /** Budgets are keyed "<provider>:<credential hash>". */
  get provider(): string {
    return this.key.split(":")[0] ?? this.key;
  }
}

/** The grant times still inside the window ($2 ms before the clock, $4), as a SQL expression on the row. */
const IN_WINDOW = `(SELECT t FROM unnest(recent) AS t WHERE t > $4::timestamptz - make_interval(secs => $2::float8 / 1000))`;
/** The month the clock is in (UTC), and what the row has used of it. */
const MONTH = `date_trunc('month', $4::timestamptz AT TIME ZONE 'UTC')`;
const MONTH_USED = `(CASE WHEN "monthStart" = ${MONTH} THEN "monthUsed" ELSE 0 END)`;

// The row lock of the UPDATE orders concurrent takes: each one re-reads the row the one before
// it wrote, so no two workers can both take the last request of a window (or of the month).
const TAKE_SQL = `
UPDATE "ProviderBudget" SET recent = ARRAY${IN_WINDOW} || $4::timestamptz,
       "monthUsed" = ${MONTH_USED} + 1, "monthStart" = ${MONTH}
 WHERE key = $1
   AND COALESCE("blockedUntil", $4::timestamptz) <= $4::timestamptz
   AND (SELECT count(*) FROM ${IN_WINDOW} AS kept) < $3
   AND ($5::int IS NULL OR ${MONTH_USED} < $5::int)
RETURNING key`;

/** Why a take was refused: the pause, when the window's oldest request leaves it, and the month's use. */
const REFUSAL_SQL = `
SELECT GREATEST(0, EXTRACT(EPOCH FROM (COALESCE("blockedUntil", $4::timestamptz) - $4::timestamptz)) * 1000)::float8 AS "blockedMs",
       COALESCE(GREATEST(0, EXTRACT(EPOCH FROM (kept.oldest + make_interval(secs => $2::float8 / 1000) - $4::timestamptz)) * 1000), 0)::float8 AS "windowLeftMs",
       kept.used,
       ${MONTH_USED}::int AS "monthUsed",
       (EXTRACT(EPOCH FROM ((${MONTH} + interval '1 month') - ($4::timestamptz AT TIME ZONE 'UTC'))) * 1000)::float8 AS "monthLeftMs"
  FROM "ProviderBudget",
       LATERAL (SELECT min(t) AS oldest, count(*)::int AS used FROM ${IN_WINDOW} AS window_grants(t)) AS kept
 WHERE key = $1 AND $3::int IS NOT NULL`;

/** What a budget has used, for metrics and the reconciler's report. */
export interface BudgetUsage {
  key: string;
  windowUsed: number;
  windowLimit: number;
  monthUsed: number;
  monthLimit: number | null;
}

export interface RequestBudget {
  /** Takes one request from the budget or throws BudgetExhaustedError. */
  take(): Promise<void>;
  /** What the window and the month have used so far. */
  usage(): Promise<BudgetUsage>;
  /** Pauses every worker on this budget (the provider said 429). */
  pause(ms: number): Promise<void>;
}

export interface BudgetOptions {
  /** The clock the window and the month are read against (tests simulate a month). */
  now?: () => Date;
}

export function createRequestBudget(db: Database, key: string, limits: BudgetLimits, options: BudgetOptions = {}): RequestBudget {
  const clock = options.now ?? (() => new Date());
  const monthly = limits.monthly ?? null;
  return {
    async take() {
      const now = clock().toISOString();
      // A refusal is re-checked: the window may have freed a place between the two statements,
      // and the first take of a new key finds no row to update.
      for (let attempt = 0; attempt < 3; attempt++) {
        const granted = await db.sql(TAKE_SQL, [key, limits.windowMs, limits.limit, now, monthly], { prepare: "budget_take" });
        if (granted.length > 0) return;
        const [row] = await db.sql<{ blockedMs: number; windowLeftMs: number; used: number; monthUsed: number; monthLeftMs: number }>(REFUSAL_SQL, [
          key,
          limits.windowMs,
          limits.limit,
          now,
        ]);
        if (!row) {
          await db.sql(`INSERT INTO "ProviderBudget" (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key`, [key]);
          continue;
        }
        if (row.blockedMs > 0) throw new BudgetExhaustedError(key, Math.ceil(row.blockedMs));
        if (monthly !== null && row.monthUsed >= monthly) throw new BudgetExhaustedError(key, Math.max(1, Math.ceil(row.monthLeftMs)), "month");
        if (row.used >= limits.limit) throw new BudgetExhaustedError(key, Math.max(1, Math.ceil(row.windowLeftMs)));
      }
      throw new BudgetExhaustedError(key, 1);
    },
    async usage() {
      const [row] = await db.sql<{ used: number; monthUsed: number }>(REFUSAL_SQL, [key, limits.windowMs, limits.limit, clock().toISOString()]);
      return { key, windowUsed: row?.used ?? 0, windowLimit: limits.limit, monthUsed: row?.monthUsed ?? 0, monthLimit: monthly };
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

/**
 * Background work's request is refused because its share is spent (not the provider's whole
 * budget): only the background stops; grants and revokes go on.
 */
export class ShareSpentError extends Error {
  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
    readonly limit: "window" | "day" | "month",
  ) {
    super(`background share of ${key} spent (${limit}); reopens in ${retryAfterMs} ms`);
    this.name = "ShareSpentError";
  }
}

/**
 * The budget background work takes from: its share first (a day's and the window's, with the
 * month's), then the provider's own budget, which grants share. A spent share throws
 * ShareSpentError, never BudgetExhaustedError, so the worker does not pause the provider's
 * grants for it.
 */
export function createBackgroundBudget(db: Database, main: RequestBudget, key: string, limits: BudgetLimits, share: number, options: BudgetOptions = {}): RequestBudget {
  const { window, daily } = backgroundShare(limits, share);
  const shares = [
    ...(daily ? [{ budget: createRequestBudget(db, `${key}:background-day`, daily, options), limit: "day" as const }] : []),
    { budget: createRequestBudget(db, `${key}:background`, window, options), limit: null },
  ];
  return {
    async take() {
      for (const part of shares) {
        try {
          await part.budget.take();
        } catch (error) {
          if (error instanceof BudgetExhaustedError) throw new ShareSpentError(key, error.retryAfterMs, part.limit ?? error.limit);
          throw error;
        }
      }
      await main.take();
    },
    usage: () => shares[shares.length - 1]!.budget.usage(),
    pause: (ms) => main.pause(ms),
  };
}
