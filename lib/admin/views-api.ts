import { z } from "zod";
import type { Runtime } from "../runtime";
import { IntegrationError } from "../integrations/errors";
import { BudgetExhaustedError } from "../jobs/budget";
import { json, rejection } from "../webhooks/http";
import { getCustomerView, readCircleLive, searchCustomers } from "./customer-view";
import { dashboardData } from "./dashboard";
import { discardDeadLetter } from "./dead-letters";
import { listEvents, replayStoredEvent } from "./events";
import { authorizeAdmin, type GuardDeps } from "./guard";
import { authorizedQuery, check, readJsonBody } from "./http";

// The console's read views and its dead-letter and event-log actions as Request -> Response
// functions (mounted by Next route handlers; scripts call the same routes). Each starts with
// the admin guard (401/403), then parses its id, query or body with zod (lib/admin/http.ts: 400
// with a plain message, nothing written), then calls one function of lib/admin.

export type ViewDeps = GuardDeps & Pick<Runtime, "catalog">;
export type CircleLiveRouteDeps = ViewDeps & Pick<Runtime, "circle">;

const uuid = (what: string) => z.uuid({ message: `the ${what} id must be a UUID` });
const customerId = uuid("customer");
const eventId = uuid("event");
const jobId = uuid("job");

const searchQuery = z.object({ q: z.string().trim().min(2, { message: "q: type at least 2 characters" }).max(320) }).strict();
const emptyQuery = z.object({}).strict();
const eventsQuery = z
  .object({
    customerId: customerId.optional(),
    email: z.string().trim().min(3).max(320).includes("@", { message: "email must be an email address" }).optional(),
    type: z.string().trim().min(1).max(100).optional(),
    provider: z.enum(["stripe", "kit"]).optional(),
    outcome: z.enum(["pending", "applied", "ignored", "failed"]).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: eventId.optional(),
  })
  .strict();
const reasonBody = z
  .object({ reason: z.string().trim().min(3, { message: "reason: say why (3 to 500 characters)" }).max(500, { message: "reason: at most 500 characters" }) })
  .strict();

/** GET /api/admin/search?q=: customers by email (exact or prefix), name or Stripe id; at most 20. */
export async function searchRoute(request: Request, deps: GuardDeps): Promise<Response> {
  const query = await authorizedQuery(request, deps, searchQuery);
  if (!query.ok) return query.response;
  return json(200, { customers: await searchCustomers(deps.db, query.data.q) });
}

/** GET /api/admin/customers/{id}: the customer view (404 for an unknown id). */
export async function customerViewRoute(request: Request, deps: ViewDeps, id: string): Promise<Response> {
  const query = await authorizedQuery(request, deps, emptyQuery);
  if (!query.ok) return query.response;
  const parsedId = check(customerId, id, "customer id");
  if (!parsedId.ok) return parsedId.response;
  const view = await getCustomerView(deps.db, deps.catalog, parsedId.data);
  return view ? json(200, { ...view }) : rejection(404, "no customer with that id");
}

/**
 * GET /api/admin/customers/{id}/circle: whether Circle holds the customer in each access group
 * now, read live within the shared request budget (503 when it is spent, 502 when Circle fails).
 */
export async function circleLiveRoute(request: Request, deps: CircleLiveRouteDeps, id: string): Promise<Response> {
  const query = await authorizedQuery(request, deps, emptyQuery);
  if (!query.ok) return query.response;
  const parsedId = check(customerId, id, "customer id");
  if (!parsedId.ok) return parsedId.response;
  try {
    const read = await readCircleLive(deps, parsedId.data);
    return read ? json(200, { ...read }) : rejection(404, "no customer with that id");
  } catch (error) {
    if (error instanceof BudgetExhaustedError) {
      return rejection(503, `Circle's request budget is spent for now; try again in ${Math.ceil(error.retryAfterMs / 1000)} s`);
    }
    // Messages name the operation and status, never the token, URL or email.
    if (error instanceof IntegrationError) return rejection(502, `could not read Circle: ${error.message}`);
    throw error;
  }
}

/** GET /api/admin/events?customerId=&email=&type=&provider=&outcome=&limit=&before=: the webhook event log, newest first. */
export async function eventsRoute(request: Request, deps: GuardDeps): Promise<Response> {
  const query = await authorizedQuery(request, deps, eventsQuery);
  if (!query.ok) return query.response;
  const events = await listEvents(deps.db, query.data);
  return json(200, { events, nextBefore: events.length === query.data.limit ? events.at(-1)!.id : null });
}

/** POST /api/admin/events/{id}/replay {reason}: the stored event applied again through a new lifecycle.apply job. */
export async function replayEventRoute(request: Request, deps: GuardDeps, id: string): Promise<Response> {
  const auth = await authorizeAdmin(request, deps);
  if (!auth.ok) return auth.response;
  const parsedId = check(eventId, id, "event id");
  if (!parsedId.ok) return parsedId.response;
  const body = await readJsonBody(request, reasonBody);
  if (!body.ok) return body.response;
  const result = await replayStoredEvent(deps.db, parsedId.data, { actor: auth.actor, reason: body.data.reason });
  if (result.ok) return json(202, { replayed: true, eventId: parsedId.data, jobId: result.jobId, audit: result.audit });
  if (result.problem === "not_found") return rejection(404, "no event with that id");
  return rejection(409, "the event is still pending: its apply job has not finished");
}

/** POST /api/admin/jobs/{id}/discard {reason}: a dead job set aside for good, with its audit row. */
export async function discardJobRoute(request: Request, deps: GuardDeps, id: string): Promise<Response> {
  const auth = await authorizeAdmin(request, deps);
  if (!auth.ok) return auth.response;
  const parsedId = check(jobId, id, "job id");
  if (!parsedId.ok) return parsedId.response;
  const body = await readJsonBody(request, reasonBody);
  if (!body.ok) return body.response;
  const result = await discardDeadLetter(deps.db, parsedId.data, { actor: auth.actor, reason: body.data.reason });
  if (result.ok) return json(200, { discarded: true, jobId: result.job.id, kind: result.job.kind, status: "discarded", audit: result.audit });
  if (result.problem === "not_found") return rejection(404, "no job with that id");
  return rejection(409, `the job is ${result.status}; only dead jobs can be discarded`);
}

/** GET /api/admin/dashboard: the dashboard's numbers. */
export async function dashboardRoute(request: Request, deps: GuardDeps): Promise<Response> {
  const query = await authorizedQuery(request, deps, emptyQuery);
  if (!query.ok) return query.response;
  return json(200, { ...(await dashboardData(deps.db, new Date())) });
}
