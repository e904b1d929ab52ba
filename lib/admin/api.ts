import { z } from "zod";
import type * as Db from "../generated/prisma/enums";
import type { Runtime } from "../runtime";
import { isAdmin } from "../auth";
import { findCustomerId, getCustomerRecord } from "../record/read";
import { IntegrationError } from "../integrations/errors";
import { BudgetExhaustedError } from "../jobs/budget";
import { replayDeadJob } from "../jobs/queue";
import { readCircleDrift } from "../reconcile/circle";
import { BodyTooLargeError, json, readBody, rejection } from "../webhooks/http";

// Admin API as Request -> Response functions (mounted by Next route handlers).

/** What the admin API works with: the parsed env (for the token) and the database. */
export type AdminDeps = Pick<Runtime, "env" | "db">;

const customerQuery = z.object({ email: z.string().trim().min(3).max(320).includes("@", { message: "email must be an email address" }) });
const ticketQuery = z.object({
  status: z.enum(["open", "pending", "resolved"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const jobQuery = z.object({
  status: z.enum(["queued", "running", "succeeded", "dead"]).optional(),
  kind: z.string().trim().min(1).max(60).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const jobId = z.uuid({ message: "the job id must be a UUID" });
const replayRequest = z
  .object({
    admin: z
      .string()
      .trim()
      .min(1, { message: "admin: who replays the job is required" })
      .max(60)
      .regex(/^[\p{L}\p{N} ._@-]+$/u, { message: "admin may hold letters, digits, spaces and . _ @ -" }),
    reason: z.string().trim().min(3, { message: "reason: say why the job is replayed (3 to 500 characters)" }).max(500),
  })
  .strict();
const MAX_ADMIN_BODY_BYTES = 16 * 1024;
const driftQuery = z.object({ accessGroupId: z.coerce.number().int().positive().optional() });

type Checked<T> = { ok: true; data: T } | { ok: false; response: Response };

/** The admin token, then the query string parsed by `schema`: 401 or 400 with a plain message, or the query. */
function authorizedQuery<T>(request: Request, env: Runtime["env"], schema: z.ZodType<T>): Checked<T> {
  if (!isAdmin(request, env)) return { ok: false, response: rejection(401, "admin token required") };
  const query = schema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return { ok: false, response: rejection(400, query.error.issues[0]?.message ?? "invalid query") };
  return { ok: true, data: query.data };
}

export async function getCustomer(request: Request, runtime: Runtime): Promise<Response> {
  const query = authorizedQuery(request, runtime.env, customerQuery);
  if (!query.ok) return query.response;
  const customerId = await findCustomerId(runtime.db, query.data.email);
  const record = customerId ? await getCustomerRecord(runtime.db, customerId) : null;
  if (!record) return rejection(404, "no customer with that email");
  return json(200, record);
}

// Tickets, newest first, optionally of one status ($1), with their number of notes; at most $2.
const TICKETS_SQL = `
SELECT ticket.id, ticket."customerId", ticket."journeyId", ticket.category, ticket.status::text AS status, ticket.source::text AS source,
       ticket.summary, (SELECT count(*)::int FROM "TicketNote" WHERE "ticketId" = ticket.id) AS notes, ticket."createdAt", ticket."updatedAt"
  FROM "Ticket" ticket
 WHERE $1::"TicketStatus" IS NULL OR ticket.status = $1::"TicketStatus"
 ORDER BY ticket."createdAt" DESC
 LIMIT $2::int`;

export async function listTickets(request: Request, runtime: Runtime): Promise<Response> {
  const query = authorizedQuery(request, runtime.env, ticketQuery);
  if (!query.ok) return query.response;
  type TicketRow = {
    id: string;
    customerId: string | null;
    journeyId: string | null;
    category: string;
    status: Db.TicketStatus;
    source: Db.TicketSource;
    summary: string;
    notes: number;
    createdAt: Date;
    updatedAt: Date;
  };
  const tickets = await runtime.db.sql<TicketRow>(TICKETS_SQL, [query.data.status ?? null, query.data.limit]);
  return json(200, { tickets });
}

// Outbox jobs, most recently changed first, optionally of one status ($1) and kind ($2); at most $3.
const JOBS_SQL = `
SELECT id, kind, status::text AS status, attempts, "maxAttempts", "lastError", "customerId", "journeyId", "runAt", "createdAt", "updatedAt", "finishedAt"
  FROM "Job"
 WHERE ($1::"JobStatus" IS NULL OR status = $1::"JobStatus") AND ($2::text IS NULL OR kind = $2::text)
 ORDER BY "updatedAt" DESC
 LIMIT $3::int`;

/** GET /api/admin/jobs: the outbox, newest change first; `?status=dead` is the dead-letter queue. */
export async function listJobs(request: Request, deps: AdminDeps): Promise<Response> {
  const query = authorizedQuery(request, deps.env, jobQuery);
  if (!query.ok) return query.response;
  const { status, kind, limit } = query.data;
  type JobRow = {
    id: string;
    kind: string;
    status: Db.JobStatus;
    attempts: number;
    maxAttempts: number;
    lastError: string | null;
    customerId: string | null;
    journeyId: string | null;
    runAt: Date;
    createdAt: Date;
    updatedAt: Date;
    finishedAt: Date | null;
  };
  const jobs = await deps.db.sql<JobRow>(JOBS_SQL, [status ?? null, kind ?? null, limit]);
  return json(200, { jobs });
}

/**
 * POST /api/admin/jobs/{id}/replay with `{ admin, reason }`: a dead job goes back in the queue
 * with a fresh attempt budget, and an audit row (actor `admin:<admin>`) records who and why.
 */
export async function replayJob(request: Request, deps: AdminDeps, id: string): Promise<Response> {
  if (!isAdmin(request, deps.env)) return rejection(401, "admin token required");
  const parsedId = jobId.safeParse(id);
  if (!parsedId.success) return rejection(400, parsedId.error.issues[0]?.message ?? "invalid job id");
  let body: unknown;
  try {
    body = JSON.parse(await readBody(request, MAX_ADMIN_BODY_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return rejection(413, "body over 16 KiB");
    return rejection(400, "the body is not JSON");
  }
  const parsed = replayRequest.safeParse(body);
  if (!parsed.success) return rejection(400, parsed.error.issues[0]?.message ?? "invalid body");
  const outcome = await replayDeadJob(deps.db, parsedId.data, { actor: `admin:${parsed.data.admin}`, reason: parsed.data.reason });
  if (outcome.replayed) return json(200, { replayed: true, jobId: parsedId.data, kind: outcome.kind, status: "queued" });
  if (outcome.status === null) return rejection(404, "no job with that id");
  return rejection(409, `the job is ${outcome.status}; only dead jobs can be replayed`);
}

/**
 * GET /api/admin/drift/circle[?accessGroupId=]: each of the catalog's Circle access groups (or
 * the one asked for) read back from Circle and compared with the record. Reads only.
 */
export async function circleDrift(request: Request, deps: AdminDeps & Pick<Runtime, "catalog" | "circle">): Promise<Response> {
  const query = authorizedQuery(request, deps.env, driftQuery);
  if (!query.ok) return query.response;
  const catalogGroups = [...new Set(deps.catalog.plans.flatMap((plan) => plan.circleAccessGroupIds))];
  const wanted = query.data.accessGroupId;
  if (wanted !== undefined && !catalogGroups.includes(wanted)) return rejection(400, "that access group is not in the plan catalog");
  try {
    const groups = [];
    for (const accessGroupId of wanted === undefined ? catalogGroups : [wanted]) groups.push(await readCircleDrift(deps.db, deps.circle, accessGroupId));
    return json(200, { groups });
  } catch (error) {
    // Only Circle's failures are answered here; their messages name the operation and status,
    // never the token or URL. Anything else is a server error.
    if (error instanceof IntegrationError || error instanceof BudgetExhaustedError) return rejection(502, `could not read Circle: ${error.message}`);
    throw error;
  }
}
