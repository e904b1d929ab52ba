import crypto from "node:crypto";
import { Client, Receiver } from "@upstash/qstash";
import { z } from "zod";
import { DRAIN_JOB_MS, type Env } from "./config";
import { drainQueue, type DrainBudget, type DrainReport } from "./jobs/drain";
import { beat } from "./jobs/heartbeat";
import type { WorkerOptions } from "./jobs/worker";
import { log } from "./log";
import { scheduleReconcile } from "./reconcile/schedule";
import { schedulePrune } from "./jobs/retention";
import { BodyTooLargeError, json, readBody, rejection } from "./webhooks/http";

// GET|POST /api/jobs/drain, for hosts without a long-lived worker process (Vercel and the
// like): a cron or Upstash QStash calls it, it drains the outbox for a time budget through the
// worker's own claim-and-settle path (lib/jobs/drain.ts) and answers what it did. Authorised by
// `Authorization: Bearer <CRON_SECRET>` (what Vercel Cron sends) or by QStash's signature
// (`Upstash-Signature`, a JWT over the URL and the raw body, checked with the current and next
// signing keys). With neither configured the route is not mounted (404). A refused call runs
// nothing. With work left and QStash publishing configured, the drain re-triggers itself.

const DRAIN_PATH = "/api/jobs/drain";
/** How long after a drain that left work its QStash-published successor runs. */
const RETRIGGER_DELAY_SECONDS = 1;
/** Nothing is read from the body: it is only hashed for QStash's signature. */
const MAX_DRAIN_BODY_BYTES = 64 * 1024;

/** Publishes a call of `url` through QStash, `delaySeconds` from now. */
export type DrainPublisher = (message: { url: string; delaySeconds: number }) => Promise<void>;

export interface DrainDeps {
  env: Pick<Env, "CRON_SECRET" | "QSTASH_CURRENT_SIGNING_KEY" | "QSTASH_NEXT_SIGNING_KEY" | "PUBLIC_URL">;
  /** The worker the drain runs batches with: the process's own (handlers, concurrency, metrics). */
  worker: WorkerOptions;
  budget: DrainBudget;
  /** Null when QStash publishing is not configured (QSTASH_TOKEN and PUBLIC_URL). */
  publish: DrainPublisher | null;
  /** Milliseconds between scheduled reconciliations; unset or 0: the drain schedules none. */
  reconcileIntervalMs?: number;
}

/** The drain route's dependencies from the env, around the process's worker options. */
export function drainDeps(config: Env, worker: WorkerOptions): DrainDeps {
  return {
    env: config,
    worker,
    budget: { budgetMs: config.DRAIN_BUDGET_MS, jobMs: DRAIN_JOB_MS },
    publish: config.QSTASH_TOKEN && config.PUBLIC_URL ? createQStashPublisher({ token: config.QSTASH_TOKEN, baseUrl: config.QSTASH_URL }) : null,
    reconcileIntervalMs: config.RECONCILE_INTERVAL_MINUTES * 60_000,
  };
}

/** The real publisher: `@upstash/qstash`'s Client, its credentials passed in (never read from process.env). */
function createQStashPublisher(options: { token: string; baseUrl: string }): DrainPublisher {
  const client = new Client({ token: options.token, baseUrl: options.baseUrl, devMode: false, retry: false });
  return async ({ url, delaySeconds }) => {
    await client.publish({ url, method: "POST", delay: delaySeconds });
  };
}

// A header that is not a bearer credential or not a JWT counts as absent.
const drainHeaders = z.object({
  authorization: z.string().regex(/^Bearer \S+$/i).optional().catch(undefined),
  "upstash-signature": z.string().regex(/^[\w-]+\.[\w-]+\.[\w-]+$/).optional().catch(undefined),
});

const headerValue = (request: Request, name: string) => request.headers.get(name) ?? undefined;

/** Equal strings, in time that does not depend on where they differ (or on their lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => crypto.createHash("sha256").update(value).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/** The URL QStash signs (`sub`): the drain's public URL where PUBLIC_URL says it, else the one the request arrived at. */
const drainUrl = (request: Request, publicUrl: string | undefined) => (publicUrl ? new URL(DRAIN_PATH, publicUrl).toString() : request.url);

type Credential = { kind: "cron" | "qstash" } | { kind: "refused"; reason: string };

async function authorise(request: Request, body: string, deps: DrainDeps): Promise<Credential> {
  const headers = drainHeaders.parse({ authorization: headerValue(request, "authorization"), "upstash-signature": headerValue(request, "upstash-signature") });
  const { CRON_SECRET, QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY, PUBLIC_URL } = deps.env;
  const bearer = headers.authorization?.slice("Bearer ".length);
  if (CRON_SECRET && bearer && sameSecret(bearer, CRON_SECRET)) return { kind: "cron" };
  const signature = headers["upstash-signature"];
  if (QSTASH_CURRENT_SIGNING_KEY && QSTASH_NEXT_SIGNING_KEY && signature) {
    const receiver = new Receiver({ currentSigningKey: QSTASH_CURRENT_SIGNING_KEY, nextSigningKey: QSTASH_NEXT_SIGNING_KEY, devMode: false });
    const valid = await receiver.verify({ signature, body, url: drainUrl(request, PUBLIC_URL) }).catch(() => false);
    if (valid) return { kind: "qstash" };
    return { kind: "refused", reason: "invalid QStash signature" };
  }
  return { kind: "refused", reason: bearer ? "wrong bearer credential" : "no credential" };
}

export type DrainAnswer = DrainReport & { retriggered: boolean };

/** GET|POST /api/jobs/drain: authorise, drain for the budget, re-trigger when work is left, answer what was done. */
export async function handleDrainRequest(request: Request, deps: DrainDeps): Promise<Response> {
  const { env } = deps;
  if (!env.CRON_SECRET && !(env.QSTASH_CURRENT_SIGNING_KEY && env.QSTASH_NEXT_SIGNING_KEY)) return rejection(404, "not found");
  let body: string;
  try {
    body = await readBody(request, MAX_DRAIN_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return rejection(413, "body over 64 KiB");
    return rejection(400, "could not read the body");
  }
  const credential = await authorise(request, body, deps);
  if (credential.kind === "refused") {
    log.warn({ reason: credential.reason }, "drain: refused");
    return rejection(401, "missing or wrong credentials: send Authorization: Bearer <CRON_SECRET> or a QStash signature");
  }

  let report: DrainReport;
  try {
    // On a serverless host the drains are the worker: their beat (one row for all) is what readiness sees.
    await beat(deps.worker.db, "drain", "drain");
    // With no long-lived worker, the drains keep the reconciliation schedule (one job per slot).
    if (deps.reconcileIntervalMs) await scheduleReconcile(deps.worker.db, deps.reconcileIntervalMs);
    await schedulePrune(deps.worker.db);
    report = await drainQueue(deps.worker, deps.budget);
  } catch (error) {
    log.error({ err: (error as Error).message }, "drain: failed");
    return rejection(503, "the drain failed; retry");
  }
  let retriggered = false;
  if (report.remaining > 0 && deps.publish && env.PUBLIC_URL) {
    try {
      await deps.publish({ url: new URL(DRAIN_PATH, env.PUBLIC_URL).toString(), delaySeconds: RETRIGGER_DELAY_SECONDS });
      retriggered = true;
    } catch (error) {
      // The next scheduled call picks the work up.
      log.warn({ err: (error as Error).message }, "drain: could not re-trigger through QStash");
    }
  }
  log.info({ by: credential.kind, ...report, retriggered }, "drain: done");
  const answer: DrainAnswer = { ...report, retriggered };
  return json(200, { ...answer });
}
