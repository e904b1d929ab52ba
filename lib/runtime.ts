import { env, type Env } from "./config";
import { openDatabase, type Database } from "./db";
import { createCircleClient, type CircleClient } from "./integrations/circle";
import { createKitClient } from "./integrations/kit";
import { createRequestBudget, CIRCLE_BUDGET, KIT_BUDGET } from "./jobs/budget";
import { createHandlers } from "./jobs/handlers";
import { createWorker, type Worker, type WorkerOptions } from "./jobs/worker";
import { loadCatalog, type PlanCatalog } from "./lifecycle/catalog";
import { asWebHandler, type WebhookProcessor } from "./webhooks/http";
import { createKitWebhookProcessor } from "./webhooks/kit";
import { createLedgerWriter } from "./webhooks/ledger";
import { createStripeWebhookProcessor } from "./webhooks/stripe";
import { createChatHandlers } from "./chat/handler";
import { chooseChatModel } from "./chat/model";
import { log } from "./log";
import { chooseRateLimitStore, createChatRateLimiter } from "./ratelimit";
import { metrics } from "./metrics";
import crypto from "node:crypto";

// The composition root: everything a process needs, built once from the parsed env.

export interface Runtime {
  env: Env;
  db: Database;
  catalog: PlanCatalog;
  /** The Circle client the worker uses (same credential, same request budget), for admin reads. */
  circle: CircleClient;
  processStripeDelivery: WebhookProcessor;
  processKitDelivery: WebhookProcessor;
  handleStripeWebhook: (request: Request) => Promise<Response>;
  handleKitWebhook: (request: Request) => Promise<Response>;
  chat: { post(request: Request): Promise<Response>; get(request: Request): Promise<Response> };
  /** The HS256 key chat identity tokens are checked with (the demo page signs with it too). */
  identitySecret: string;
  createWorker(options?: Partial<WorkerOptions>): Worker;
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
  const circleBudget = createRequestBudget(db, `circle:${hashKey(config.CIRCLE_API_TOKEN)}`, CIRCLE_BUDGET);
  const kitBudget = createRequestBudget(db, `kit:${hashKey(config.KIT_API_KEY)}`, KIT_BUDGET);
  const circle = createCircleClient({ baseUrl: config.CIRCLE_API_URL, token: config.CIRCLE_API_TOKEN ?? "", beforeRequest: circleBudget.take });
  const kit = createKitClient({ baseUrl: config.KIT_API_URL, apiKey: config.KIT_API_KEY ?? "", beforeRequest: kitBudget.take });
  const handlers = createHandlers({ db, catalog, circle, kit, circleBudget, kitBudget });
  const ledger = createLedgerWriter(db);
  const identitySecret = config.CHAT_IDENTITY_SECRET ?? demoSecret("CHAT_IDENTITY_SECRET");
  const processStripeDelivery = createStripeWebhookProcessor({ ledger, secret: config.STRIPE_WEBHOOK_SECRET ?? demoSecret("STRIPE_WEBHOOK_SECRET") });
  const processKitDelivery = createKitWebhookProcessor({ ledger, secret: config.KIT_WEBHOOK_SECRET ?? demoSecret("KIT_WEBHOOK_SECRET") });
  return {
    env: config,
    db,
    catalog,
    circle,
    chat: createChatHandlers({
      db,
      catalog,
      identitySecret,
      // Keyed with the identity secret: every instance has it, and nothing else needs a new one.
      rateLimiter: createChatRateLimiter({ ...chooseRateLimitStore(config), keySecret: identitySecret }),
      model: chooseChatModel(config),
    }),
    identitySecret,
    processStripeDelivery,
    processKitDelivery,
    handleStripeWebhook: asWebHandler(processStripeDelivery),
    handleKitWebhook: asWebHandler(processKitDelivery),
    createWorker: (options = {}) =>
      createWorker({
        db,
        handlers,
        concurrency: config.WORKER_CONCURRENCY,
        pollMs: config.WORKER_POLL_MS,
        onSettled: (job, outcome) => metrics().jobsSettled.inc({ kind: job.kind, outcome }),
        ...options,
      }),
    close: () => db.close(),
  };
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
