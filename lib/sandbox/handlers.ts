import type { Database } from "../db";
import { createCircleClient } from "../integrations/circle";
import { createKitClient } from "../integrations/kit";
import { createRequestBudget, CIRCLE_BUDGET, KIT_BUDGET } from "../jobs/budget";
import { createHandlers } from "../effects";
import type { PlanCatalog } from "../lifecycle/catalog";
import { FAKE_CIRCLE_TOKEN } from "./circle";
import { FAKE_KIT_API_KEY } from "./kit";

// Part of the sandbox harness used by the tests, the eval suite (`npm run eval`) and the
// benchmarks. Product code: no dependency on vitest or on test/.

/** The real job handlers, with real clients pointed at the fake providers. */
export function handlersForFakes(options: { db: Database; catalog: PlanCatalog; circleUrl: string; kitUrl: string; timeoutMs?: number }) {
  const { db, catalog } = options;
  const circleBudget = createRequestBudget(db, "circle:test", CIRCLE_BUDGET);
  const kitBudget = createRequestBudget(db, "kit:test", KIT_BUDGET);
  return createHandlers({
    db,
    catalog,
    circle: createCircleClient({ baseUrl: options.circleUrl, token: FAKE_CIRCLE_TOKEN, timeoutMs: options.timeoutMs, beforeRequest: circleBudget.take }),
    kit: createKitClient({ baseUrl: options.kitUrl, apiKey: FAKE_KIT_API_KEY, timeoutMs: options.timeoutMs, beforeRequest: kitBudget.take }),
    circleBudget,
    kitBudget,
    defaultRateLimitPauseMs: 200,
  });
}
