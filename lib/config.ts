import { z } from "zod";

// The one place that reads process.env. A missing or malformed variable stops the process
// with a readable list; everything else imports the parsed object.

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));
const optionalUrl = optionalString.pipe(z.url().optional());
/**
 * A comma-separated list of web origins (`scheme://host[:port]`, no path), normalised; unset: none.
 */
const originList = optionalString.transform((value, ctx) => {
  if (value === undefined) return [] as string[];
  const origins: string[] = [];
  for (const item of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    let origin: string | null = null;
    try {
      const url = new URL(item);
      if ((url.protocol === "https:" || url.protocol === "http:") && url.origin.toLowerCase() === item.replace(/\/$/, "").toLowerCase()) origin = url.origin;
    } catch {
      // not a URL
    }
    if (!origin) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not an origin (scheme://host[:port], no path)` });
      return z.NEVER;
    }
    origins.push(origin);
  }
  return [...new Set(origins)];
});

const PRODUCTION_REQUIRED = [
  "DATABASE_URL",
  "STRIPE_WEBHOOK_SECRET",
  "KIT_WEBHOOK_SECRET",
  "CIRCLE_API_TOKEN",
  "KIT_API_KEY",
  "CHAT_IDENTITY_SECRET",
  "ADMIN_TOKEN",
  "SESSION_SECRET",
] as const;

/** The console's cookie key (iron-session needs 32 characters at least). */
export const MIN_SESSION_SECRET_LENGTH = 32;
/** The least an admin password may be (lib/admin/accounts.ts), the demo admin's too. */
export const MIN_ADMIN_PASSWORD_LENGTH = 12;
/** The least a CRON_SECRET may be (Vercel asks for a random string of 16 characters or more). */
export const MIN_CRON_SECRET_LENGTH = 16;
/**
 * What the drain route (lib/drain-route.ts) expects one batch of jobs to take at most: it claims
 * no batch with less of its budget left, so DRAIN_BUDGET_MS may not be shorter.
 */
export const DRAIN_JOB_MS = 5_000;

/** How long the outbox keeps a finished job (lib/jobs/retention.ts), by default. */
export const DEFAULT_JOB_RETENTION_DAYS = 30;
/** The dashboard's payment to access reads checkouts of the last 7 days and their grants a day later. */
export const MIN_JOB_RETENTION_DAYS = 14;

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: optionalUrl,
    /**
     * "production" demands real secrets and hides the demo; "demo" allows built-in defaults.
     * Unset: production on PostgreSQL, demo on the embedded database. (NODE_ENV cannot say
     * this: `next start` sets it to production for the local demo too.)
     */
    APP_MODE: z.enum(["production", "demo"]).optional(),
    DATA_DIR: z.string().default(".data"),
    PORT: z.coerce.number().int().positive().default(3000),
    INGEST_PORT: z.coerce.number().int().positive().default(3001),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    STRIPE_WEBHOOK_SECRET: optionalString,
    /** Stripe API key (a restricted read-only one will do); only the launch doctor (`npm run doctor`) uses it. */
    STRIPE_SECRET_KEY: optionalString,
    /** Stripe's API origin (unset: https://api.stripe.com); tests point the doctor at a fake. */
    STRIPE_API_URL: optionalUrl,
    /** The domain customer email is sent from, and its DKIM selector: the doctor checks SPF, DKIM and DMARC. */
    EMAIL_DOMAIN: optionalString,
    DKIM_SELECTOR: optionalString,
    KIT_WEBHOOK_SECRET: optionalString,
    CIRCLE_API_URL: z.url().default("https://app.circle.so/api/admin/v2"),
    CIRCLE_API_TOKEN: optionalString,
    KIT_API_URL: z.url().default("https://api.kit.com"),
    KIT_API_KEY: optionalString,
    CHAT_IDENTITY_SECRET: optionalString,
    ADMIN_TOKEN: optionalString,
    /** Seals the console's session cookie; outside production a random one per process. */
    SESSION_SECRET: optionalString,
    /** The demo admin's password (embedded demo only); unset: the documented demo password. */
    DEMO_ADMIN_PASSWORD: optionalString,
    /** Where people reach the app (behind a proxy): its origin may make console requests too. */
    PUBLIC_URL: optionalUrl,
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: optionalUrl,
    OPENAI_MODEL: z.string().default("gpt-4o-mini"),
    UPSTASH_REDIS_REST_URL: optionalUrl,
    UPSTASH_REDIS_REST_TOKEN: optionalString,
    REDIS_URL: optionalUrl,
    PLAN_CATALOG: optionalString,
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    WORKER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(100),
    /** "1" runs the outbox worker inside the web process (always so on the embedded database). */
    RUN_WORKER: z.enum(["0", "1"]).optional(),
    /** "1" mounts the benchmark-only bare route. */
    BENCH_ROUTES: z.enum(["0", "1"]).default("0"),
    /** Authorises the drain route as `Authorization: Bearer <CRON_SECRET>` (what Vercel Cron sends). */
    CRON_SECRET: optionalString,
    /** Upstash QStash's signing keys (both or neither): the drain route accepts calls QStash signed. */
    QSTASH_CURRENT_SIGNING_KEY: optionalString,
    QSTASH_NEXT_SIGNING_KEY: optionalString,
    /** Lets a drain that left work re-trigger itself through QStash (needs PUBLIC_URL and the signing keys). */
    QSTASH_TOKEN: optionalString,
    /** QStash's API (its region's URL). */
    QSTASH_URL: z.url().default("https://qstash.upstash.io"),
    /** How long one drain claims jobs for; keep it well under the host's function limit. */
    DRAIN_BUDGET_MS: z.coerce.number().int().min(DRAIN_JOB_MS).max(900_000).default(25_000),
    /**
     * The host sites that may embed the widget (frame `/widget`) and call `/api/chat` from the
     * browser (CORS), comma-separated origins. The app's own origin always may; unset: no other.
     */
    WIDGET_ALLOWED_ORIGINS: originList,
    /** Required as `Authorization: Bearer <METRICS_TOKEN>` by /api/metrics; unset in production: the route is off (404). */
    METRICS_TOKEN: optionalString,
    /** The community's Circle plan: its monthly Admin API quota (business 5,000, enterprise 30,000, plus_platform 250,000). */
    CIRCLE_PLAN: z.enum(["business", "enterprise", "plus_platform"]).default("business"),
    /** A monthly Circle quota other than the plan's (a negotiated one). */
    CIRCLE_MONTHLY_QUOTA: z.coerce.number().int().min(100).optional(),
    /** Minutes between the worker's reconciliations with Circle, Kit and Stripe; 0: none scheduled. */
    RECONCILE_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(10_080).default(360),
    /** Days a finished outbox job (succeeded or discarded) is kept before the hourly prune deletes it; dead jobs stay. */
    JOB_RETENTION_DAYS: z.coerce.number().int().min(MIN_JOB_RETENTION_DAYS).max(3_650).default(DEFAULT_JOB_RETENTION_DAYS),
    /** The share (0.05 to 0.9) of each provider budget that reconciliation and invitation checks may use. */
    RECONCILE_SHARE: z.coerce.number().min(0.05).max(0.9).default(0.5),
    /** What the reconciler does per drift kind, JSON over the defaults, e.g. {"tag_extra":"repair"} (lib/reconcile/policy.ts). */
    RECONCILE_POLICY: optionalString,
    /** A worker process (`npm run worker`) serves its own counters at GET /metrics on this port; unset: it does not. */
    WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
    /** The ingest server (`npm run ingest`) serves its own counters at GET /metrics on this port; unset: it does not. */
    INGEST_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
    /** Readiness (/api/ready) fails when no worker or drain has beaten within this long. */
    READY_MAX_HEARTBEAT_AGE_MS: z.coerce.number().int().min(1_000).default(90_000),
    /** Readiness fails when the oldest due job has waited longer than this (the queue-backlog alert's threshold). */
    READY_MAX_QUEUE_AGE_MS: z.coerce.number().int().min(1_000).default(300_000),
    /** Proxies in front of the app that append to X-Forwarded-For (lib/client-address.ts); 0: none, the header is ignored. */
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(1),
  })
  .transform((env) => ({ ...env, APP_MODE: env.APP_MODE ?? (env.DATABASE_URL ? "production" : "demo") }))
  .superRefine((env, ctx) => {
    if (env.SESSION_SECRET && env.SESSION_SECRET.length < MIN_SESSION_SECRET_LENGTH) {
      ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: `must be at least ${MIN_SESSION_SECRET_LENGTH} characters` });
    }
    if (env.DEMO_ADMIN_PASSWORD && env.DEMO_ADMIN_PASSWORD.length < MIN_ADMIN_PASSWORD_LENGTH) {
      ctx.addIssue({ code: "custom", path: ["DEMO_ADMIN_PASSWORD"], message: `must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters` });
    }
    if (env.CRON_SECRET && env.CRON_SECRET.length < MIN_CRON_SECRET_LENGTH) {
      ctx.addIssue({ code: "custom", path: ["CRON_SECRET"], message: `must be at least ${MIN_CRON_SECRET_LENGTH} characters` });
    }
    const signingKeys = [env.QSTASH_CURRENT_SIGNING_KEY, env.QSTASH_NEXT_SIGNING_KEY];
    if (signingKeys.some(Boolean) && !signingKeys.every(Boolean)) {
      const missing = env.QSTASH_CURRENT_SIGNING_KEY ? "QSTASH_NEXT_SIGNING_KEY" : "QSTASH_CURRENT_SIGNING_KEY";
      ctx.addIssue({ code: "custom", path: [missing], message: "is required with the other QStash signing key" });
    }
    if (env.QSTASH_TOKEN) {
      // The re-trigger is published to PUBLIC_URL's drain route, which must accept QStash's signature.
      // (One signing key without the other is reported above.)
      const missing = [...(env.PUBLIC_URL ? [] : ["PUBLIC_URL"]), ...(signingKeys.some(Boolean) ? [] : ["QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"])];
      for (const key of missing) ctx.addIssue({ code: "custom", path: [key], message: "is required with QSTASH_TOKEN" });
    }
    if (env.APP_MODE !== "production") return;
    for (const key of PRODUCTION_REQUIRED) {
      if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "is required in production" });
    }
    // Rate limits must be shared by every instance: a real Redis, or Upstash instead of it.
    if (!env.REDIS_URL && !(env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN)) {
      ctx.addIssue({ code: "custom", path: ["REDIS_URL"], message: "is required in production" });
    }
    if (env.ADMIN_TOKEN && env.ADMIN_TOKEN.length < 24) {
      ctx.addIssue({ code: "custom", path: ["ADMIN_TOKEN"], message: "must be at least 24 characters in production" });
    }
  });

export type Env = z.output<typeof envSchema>;

export class ConfigError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // A blank variable is an unset one, whatever its type.
  const cleaned = Object.fromEntries(Object.entries(source).map(([key, value]) => [key, value?.trim() === "" ? undefined : value]));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(env)"}: ${issue.message}`);
    // The production check runs after parsing succeeds; list what it would say too.
    const production = cleaned.APP_MODE === "production" || (!cleaned.APP_MODE && cleaned.DATABASE_URL);
    if (production) {
      const reported = new Set(result.error.issues.map((issue) => issue.path[0]));
      for (const key of PRODUCTION_REQUIRED) if (!cleaned[key] && !reported.has(key)) lines.push(`  ${key}: is required in production`);
      const sharedStore = cleaned.REDIS_URL || (cleaned.UPSTASH_REDIS_REST_URL && cleaned.UPSTASH_REDIS_REST_TOKEN);
      if (!sharedStore && !reported.has("REDIS_URL")) lines.push("  REDIS_URL: is required in production");
    }
    throw new ConfigError(`Invalid environment:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

export const isProduction = (config: Env = env()) => config.APP_MODE === "production";

/** Every variable the schema reads, derived from it: a variable added there is listed here too. */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.in.shape);
/** Variables whose whole value is a credential: by name (secret, token, password, key). */
export const isSecretVariable = (name: string) => /(SECRET|TOKEN|PASSWORD|_KEY)$|_SECRET_|_SIGNING_KEY/.test(name);
/** URL variables that may carry a password in their userinfo (`scheme://user:password@host`). */
export const CREDENTIAL_URL_VARIABLES: readonly string[] = ["DATABASE_URL", "REDIS_URL"].filter((name) => ENV_VARIABLES.includes(name));
export const SECRET_VARIABLES: readonly string[] = ENV_VARIABLES.filter(isSecretVariable);
