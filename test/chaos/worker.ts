// A chaos run's worker process: the product's worker and job handlers (lib/jobs, lib/effects)
// against the fake Circle and Kit the driver serves. The driver SIGKILLs it every few seconds
// and starts another. Timings are shortened (lease, backoff, client timeout) so a run takes
// minutes, and the request budgets are the fakes' (no limit but the 429s the driver injects),
// since Kit's real 120 requests a minute would make a 10,000-event run take an hour.
import { z } from "zod";
import { openDatabase } from "../../lib/db";
import { createHandlers } from "../../lib/effects";
import { createCircleClient } from "../../lib/integrations/circle";
import { createKitClient } from "../../lib/integrations/kit";
import { createRequestBudget } from "../../lib/jobs/budget";
import { createWorker } from "../../lib/jobs/worker";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { chaosCatalog } from "./oracle";

const CHAOS_WORKER_TIMINGS = { leaseMs: 3_000, providerTimeoutMs: 1_000, backoff: { baseMs: 50, capMs: 1_000 }, rateLimitPauseMs: 200 } as const;

const settings = z.object({ CHAOS_DATABASE_URL: z.url(), CHAOS_CIRCLE_URL: z.url(), CHAOS_KIT_URL: z.url() }).parse(process.env);

const db = await openDatabase({ databaseUrl: settings.CHAOS_DATABASE_URL, poolSize: 6 });
const unlimited = { limit: 1_000_000, windowMs: 60_000 };
const circleBudget = createRequestBudget(db, "circle:chaos", unlimited);
const kitBudget = createRequestBudget(db, "kit:chaos", unlimited);
const timeoutMs = CHAOS_WORKER_TIMINGS.providerTimeoutMs;
const handlers = createHandlers({
  db,
  catalog: chaosCatalog(),
  circle: createCircleClient({ baseUrl: settings.CHAOS_CIRCLE_URL, token: FAKE_CIRCLE_TOKEN, timeoutMs, beforeRequest: circleBudget.take }),
  kit: createKitClient({ baseUrl: settings.CHAOS_KIT_URL, apiKey: FAKE_KIT_API_KEY, timeoutMs, beforeRequest: kitBudget.take }),
  circleBudget,
  kitBudget,
  defaultRateLimitPauseMs: CHAOS_WORKER_TIMINGS.rateLimitPauseMs,
});
createWorker({ db, handlers, concurrency: 4, pollMs: 20, leaseMs: CHAOS_WORKER_TIMINGS.leaseMs, backoff: CHAOS_WORKER_TIMINGS.backoff }).start();
process.stdout.write("chaos worker ready\n");
