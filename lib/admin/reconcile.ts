import { z } from "zod";
import { RECONCILE_PROVIDERS } from "../reconcile/classify";
import { NO_PROVIDER_CONFIGURED, readReconcileRun, requestReconcileRun } from "../reconcile/requests";
import type { ReconcilerDeps } from "../reconcile/run";
import { json, rejection } from "../webhooks/http";
import { actorLabel } from "./actor";
import { writeAudit } from "./audit";
import type { GuardDeps } from "./guard";
import { authorizeAdmin } from "./guard";
import { check, readJsonBody } from "./http";

// POST /api/admin/reconcile: an admin asks for a reconciliation (a dry run by default), for all
// providers or some. The worker runs it, not this request (minutes on a big community), so the
// answer is 202 with the run to follow at GET /api/admin/reconcile/{id}; while one is waiting or
// running, a new request is answered 409 with that one. The request is audited under the
// authenticated actor. The report names customers and members by id only: no email leaves through it.

export const reconcileRequest = z
  .object({
    dryRun: z.boolean().default(true),
    providers: z.array(z.enum(RECONCILE_PROVIDERS)).min(1).max(3).optional(),
  })
  .strict();

export type ReconcileAdminDeps = GuardDeps & { reconciler: ReconcilerDeps | null };

export async function postReconcile(request: Request, deps: ReconcileAdminDeps): Promise<Response> {
  const authorized = await authorizeAdmin(request, deps);
  if (!authorized.ok) return authorized.response;
  const body = await readJsonBody(request, reconcileRequest, { emptyAsObject: true });
  if (!body.ok) return body.response;
  if (!deps.reconciler) return rejection(409, NO_PROVIDER_CONFIGURED);
  const providers = body.data.providers ? [...new Set(body.data.providers)] : [];
  const dryRun = body.data.dryRun;
  const requested = await deps.db.transaction(async (tx) => {
    const outcome = await requestReconcileRun(tx, { actor: actorLabel(authorized.actor), dryRun, providers });
    if (outcome.created) {
      await writeAudit(tx, { actor: authorized.actor, action: dryRun ? "reconcile.dryRun" : "reconcile.run", reason: null, customerId: null, before: null, after: { runId: outcome.id, providers } });
    }
    return { ...outcome, run: await readReconcileRun(tx, outcome.id) };
  });
  if (!requested.run) throw new Error("the reconciliation run was not found after it was recorded");
  if (!requested.created) return json(409, { error: "a reconciliation is already waiting or running: follow it, or ask again when it is done", run: requested.run });
  return json(202, { run: requested.run }, { location: `/api/admin/reconcile/${requested.id}` });
}

/** GET /api/admin/reconcile/{id}: a run asked for, its status and, once done, its report. */
export async function getReconcileRun(request: Request, deps: GuardDeps, id: string): Promise<Response> {
  const authorized = await authorizeAdmin(request, deps);
  if (!authorized.ok) return authorized.response;
  const parsedId = check(z.uuid(), id, "run id");
  if (!parsedId.ok) return parsedId.response;
  const run = await readReconcileRun(deps.db, parsedId.data);
  return run ? json(200, { run }) : rejection(404, "no reconciliation run with that id");
}
