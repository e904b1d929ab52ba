import { env, type Env } from "./config";
import { openDatabase, type Database } from "./db";
import { createCircleClient, type CircleClient } from "./integrations/circle";
import { createKitClient } from "./integrations/kit";
import { circleLimits, createRequestBudget, KIT_BUDGET } from "./jobs/budget";
import { scheduleReconcile } from "./reconcile/schedule";
import { schedulePrune } from "./jobs/retention";
import { createBackgroundWork } from "./reconcile/wiring";
import type { ReconcilerDeps } from "./reconcile/run";
import { createHandlers } from "./effects";
import { createWorker, type JobHandlers, type Worker, type WorkerOptions } from "./jobs/worker";
import { drainDeps, type DrainDeps } from "./drain-route";
import { loadCatalog } from "./catalog-file";
import type { PlanCatalog } from "./lifecycle/catalog";
import type { KitWebhookDeps } from "./webhooks/kit";
import { createLedgerWriter } from "./webhooks/ledger";
import type { StripeWebhookDeps } from "./webhooks/stripe";
import type { ChatDeps } from "./chat/handler";
import { chooseChatModel } from "./chat/model";
import { log } from "./log";
import { chooseRateLimitStore, createChatRateLimiter, createSignInLimiter, createWebhookFailureLimiter, type SignInLimiter } from "./ratelimit";
import crypto from "node:crypto";

// The composition root: every dependency a process needs, built once from the parsed env, as
// plain values. Routes and scripts call named functions with it (handleStripeWebhook(request,
// runtime.stripeWebhook), createRuntimeWorker(runtime)), so the call graph reads from the call site.

export interface Runtime {
  env: Env;
  db: Database;
  catalog: PlanCatalog;
  /** The Circle client the worker uses (same credential, same request budget), for admin reads. */
  circle: CircleClient;
  /** What the worker runs for each job kind. */
  jobHandlers: JobHandlers;
  /** The reconciler (lib/reconcile), for the admin API and `npm run reconcile`; null when no provider is configured. */
  reconciler: ReconcilerDeps | null;
  stripeWebhook: StripeWebhookDeps;
  kitWebhook: KitWebhookDeps;
  /** The drain route's: the same worker options as createRuntimeWorker's, a budget, the QStash publisher. */
  drain: DrainDeps;
  chat: ChatDeps;
  /** The HS256 key chat identity tokens are checked with (the demo page signs with it too). */
  identitySecret: string;
  /** Seals the console's session cookie (lib/admin/session.ts) and keys the sign-in limiter. */
  sessionSecret: string;
  /** Failed console sign-ins, per account and per address. */
  signInLimiter: SignInLimiter;
  close(): Promise<void>;
}

/** A per-process secret for the demo, so an unconfigured instance never accepts a known key. */
function demoSecret(name: string): string {
  log.warn(`${name} is not set: using a random secret for this process (demo only)`);
  return `whsec_${crypto.randomBytes(24).toString("hex")}`;
}

export async function createRuntime(config: Env = env(), overrides: { db?: Database } = {}): Promise<Runtime> {
  const catalog = loadCatalog(config.PLAN_CATALOG);
  const db =
    overrides.db ??
    (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: `${config.DATA_DIR}/pglite` }));
  const budgetKeys = { circleKey: `circle:${hashKey(config.CIRCLE_API_TOKEN)}`, kitKey: `kit:${hashKey(config.KIT_API_KEY)}`, stripeKey: `stripe:${hashKey(config.STRIPE_SECRET_KEY)}` };
  const circleBudget = createRequestBudget(db, budgetKeys.circleKey, circleLimits(config.CIRCLE_PLAN, config.CIRCLE_MONTHLY_QUOTA));
  const kitBudget = createRequestBudget(db, budgetKeys.kitKey, KIT_BUDGET);
  const circle = createCircleClient({ baseUrl: config.CIRCLE_API_URL, token: config.CIRCLE_API_TOKEN ?? "", beforeRequest: circleBudget.take });
  const kit = createKitClient({ baseUrl: config.KIT_API_URL, apiKey: config.KIT_API_KEY ?? "", beforeRequest: kitBudget.take });
  const ledger = createLedgerWriter(db);
  const identitySecret = config.CHAT_IDENTITY_SECRET ?? demoSecret("CHAT_IDENTITY_SECRET");
  // A random one signs everyone out when the process restarts: fine for the demo only.
  const sessionSecret = config.SESSION_SECRET ?? demoSecret("SESSION_SECRET");
  const rateLimitStore = chooseRateLimitStore(config);
  // Keyed with the identity secret: every instance has it, and nothing else needs a new one.
  const chatRateLimiter = createChatRateLimiter({ ...rateLimitStore, keySecret: identitySecret });
  const signInLimiter = createSignInLimiter({ ...rateLimitStore, keySecret: sessionSecret });
  // Failed webhook signature checks per source address (valid deliveries are never counted).
  const webhookFailureLimiter = createWebhookFailureLimiter({ ...rateLimitStore, keySecret: identitySecret });
  const background = createBackgroundWork(db, catalog, config, { ...budgetKeys, circle: circleBudget, kit: kitBudget });
  const jobHandlers = createHandlers({ db, catalog, circle, kit, circleBudget, kitBudget, ...background, jobRetentionDays: config.JOB_RETENTION_DAYS });
  return {
    env: config,
    db,
    catalog,
    circle,
    jobHandlers,
    reconciler: background.reconciler,
    stripeWebhook: {
      ledger,
      secret: config.STRIPE_WEBHOOK_SECRET ?? demoSecret("STRIPE_WEBHOOK_SECRET"),
      failureLimiter: webhookFailureLimiter,
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    },
    kitWebhook: { ledger, secret: config.KIT_WEBHOOK_SECRET ?? demoSecret("KIT_WEBHOOK_SECRET"), failureLimiter: webhookFailureLimiter, trustedProxyHops: config.TRUSTED_PROXY_HOPS },
    drain: drainDeps(config, workerOptions(config, db, jobHandlers)),
    chat: {
      db,
      catalog,
      identitySecret,
      rateLimiter: chatRateLimiter,
      model: chooseChatModel(config),
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    },
    identitySecret,
    sessionSecret,
    signInLimiter,
    async close() {
      await Promise.all([chatRateLimiter.close(), signInLimiter.close(), webhookFailureLimiter.close()]);
      await db.close();
    },
  };
}

/** How this process runs jobs, configured from the env: its worker's, and each drain's. */
function workerOptions(config: Env, db: Database, handlers: JobHandlers): WorkerOptions {
  return {
    db,
    handlers,
    concurrency: config.WORKER_CONCURRENCY,
    pollMs: config.WORKER_POLL_MS,
  };
}

/** The outbox worker of this process, configured from the env. */
export function createRuntimeWorker(runtime: Runtime, options: Partial<WorkerOptions> = {}): Worker {
  // Every worker names the same next slot: the outbox keeps one reconciliation per interval.
  scheduleReconcile(runtime.db, runtime.env.RECONCILE_INTERVAL_MINUTES * 60_000).catch((error: Error) => log.error({ err: error.message }, "reconciliation could not be scheduled"));
  schedulePrune(runtime.db).catch((error: Error) => log.error({ err: error.message }, "the outbox's prune could not be scheduled"));
  return createWorker({ ...workerOptions(runtime.env, runtime.db, runtime.jobHandlers), ...options });
}

/** Budgets are per credential; the key names it without storing it. */
function hashKey(secret: string | undefined): string {
  return crypto.createHash("sha256").update(secret ?? "unset").digest("hex").slice(0, 12);
}

const globalRuntime = globalThis as typeof globalThis & { __entitledRuntime?: Promise<Runtime> };

/** The process-wide runtime (Next route handlers, instrumentation). */
export function getRuntime(): Promise<Runtime> {
  globalRuntime.__entitledRuntime ??= createRuntime();
  return globalRuntime.__entitledRuntime;
}
