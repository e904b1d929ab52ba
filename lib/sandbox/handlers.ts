import type { Database } from "../../lib/db";
import { createCircleClient } from "../../lib/integrations/circle";
import { createKitClient } from "../../lib/integrations/kit";
import { createRequestBudget, CIRCLE_BUDGET, KIT_BUDGET } from "../../lib/jobs/budget";
import { createHandlers } from "../../lib/jobs/handlers";
import type { PlanCatalog } from "../../lib/lifecycle/catalog";
import { FAKE_CIRCLE_TOKEN } from "../fakes/circle";
import { FAKE_KIT_API_KEY } from "../fakes/kit";

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
