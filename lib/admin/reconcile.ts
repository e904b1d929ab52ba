import { z } from "zod";
import { RECONCILE_PROVIDERS } from "../reconcile/classify";
import { reconcile, type ReconcilerDeps, type ReconcileReport } from "../reconcile/run";
import { rejection } from "../webhooks/http";
import { writeAudit } from "./audit";
import type { GuardDeps } from "./guard";
import { authorizeAdmin } from "./guard";
import { readJsonBody } from "./http";

// POST /api/admin/reconcile: an admin runs a reconciliation now (a dry run by default), for all
// providers or some. The run is audited under the authenticated actor, with its counts. The
// report names customers and members by id only: no email leaves through it.

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
  if (!deps.reconciler) return rejection(409, "no provider is configured: set CIRCLE_API_TOKEN, KIT_API_KEY or STRIPE_SECRET_KEY");
  const providers = body.data.providers ? [...new Set(body.data.providers)] : undefined;
  const report: ReconcileReport = await reconcile(deps.reconciler, { dryRun: body.data.dryRun, providers });
  await writeAudit(deps.db, {
    actor: authorized.actor,
    action: body.data.dryRun ? "reconcile.dryRun" : "reconcile.run",
    reason: null,
    customerId: null,
    before: null,
    after: { providers: report.providers, found: report.found, outcomes: report.outcomes },
  });
  return Response.json(report);
}
