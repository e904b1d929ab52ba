import { z } from "zod";
import type * as Db from "../generated/prisma/enums";
import type { Runtime } from "../runtime";
import { log } from "../log";
import { findCustomerId, getCustomerRecord } from "../record/read";
import { IntegrationError } from "../integrations/errors";
import { BudgetExhaustedError } from "../jobs/budget";
import { replayDeadJob, type JobFailure } from "../jobs/queue";
import { readCircleDrift } from "../reconcile/circle";
import { json, rejection } from "../webhooks/http";
import { actorLabel } from "./actor";
import { adminEmail, verifyAdminPassword } from "./accounts";
import { authorizeAdmin, crossSiteRefusal, isSameOrigin, type GuardDeps } from "./guard";
import { authorizedQuery, check, readJsonBody } from "./http";
import { endSession, openSession, resumeSession, sessionCookie, tokenOf } from "./session";
import { clientAddress } from "../client-address";

// Admin API as Request -> Response functions (mounted by Next route handlers). Every one is
// authorised by lib/admin/guard.ts: the bearer ADMIN_TOKEN or a console session.

/** What the admin API works with: the parsed env (the token, the mode), the database, the session secret. */
export type AdminDeps = GuardDeps;

const customerQuery = z.object({ email: z.string().trim().min(3).max(320).includes("@", { message: "email must be an email address" }) });

const jobQuery = z.object({
  status: z.enum(["queued", "running", "succeeded", "dead", "discarded"]).optional(),
  kind: z.string().trim().min(1).max(60).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const jobId = z.uuid({ message: "the job id must be a UUID" });
const replayRequest = z
  .object({
    // Accepted, as before, and ignored: the actor is who authenticated, never a body field.
    admin: z
      .string()
      .trim()
      .min(1, { message: "admin: leave it out, or name who replays the job" })
      .max(60)
      .regex(/^[\p{L}\p{N} ._@-]+$/u, { message: "admin may hold letters, digits, spaces and . _ @ -" })
      .optional(),
    reason: z.string().trim().min(3, { message: "reason: say why the job is replayed (3 to 500 characters)" }).max(500),
  })
  .strict();
const driftQuery = z.object({ accessGroupId: z.coerce.number().int().positive().optional() });

export async function getCustomer(request: Request, runtime: Runtime): Promise<Response> {
  const query = await authorizedQuery(request, runtime, customerQuery);
  if (!query.ok) return query.response;
  const customerId = await findCustomerId(runtime.db, query.data.email);
  const record = customerId ? await getCustomerRecord(runtime.db, customerId) : null;
  if (!record) return rejection(404, "no customer with that email");
  return json(200, record);
}

// Outbox jobs, most recently changed first, optionally of one status ($1) and kind ($2); at most $3.
const JOBS_SQL = `
SELECT id, kind, status::text AS status, attempts, "maxAttempts", "lastError", failures, "customerId", "journeyId", "runAt", "createdAt", "updatedAt", "finishedAt"
  FROM "Job"
 WHERE ($1::"JobStatus" IS NULL OR status = $1::"JobStatus") AND ($2::text IS NULL OR kind = $2::text)
 ORDER BY "updatedAt" DESC
 LIMIT $3::int`;

/** GET /api/admin/jobs: the outbox, newest change first; `?status=dead` is the dead-letter queue. */
export async function listJobs(request: Request, deps: AdminDeps): Promise<Response> {
  const query = await authorizedQuery(request, deps, jobQuery);
  if (!query.ok) return query.response;
  const { status, kind, limit } = query.data;
  type JobRow = {
    id: string;
    kind: string;
    status: Db.JobStatus;
    attempts: number;
    maxAttempts: number;
    lastError: string | null;
    /** Each failed attempt and lost lease, newest last (at most ten). */
    failures: JobFailure[];
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
 * POST /api/admin/jobs/{id}/replay with `{ reason }`: a dead job goes back in the queue with a
 * fresh attempt budget, and an audit row records who (the authenticated actor: `admin:<email>`
 * or `api-token`) and why. A body `admin` field is accepted and ignored.
 */
export async function replayJob(request: Request, deps: AdminDeps, id: string): Promise<Response> {
  const authorized = await authorizeAdmin(request, deps);
  if (!authorized.ok) return authorized.response;
  const parsedId = check(jobId, id, "job id");
  if (!parsedId.ok) return parsedId.response;
  const parsed = await readJsonBody(request, replayRequest);
  if (!parsed.ok) return parsed.response;
  const outcome = await replayDeadJob(deps.db, parsedId.data, { actor: actorLabel(authorized.actor), reason: parsed.data.reason });
  if (outcome.replayed) return json(200, { replayed: true, jobId: parsedId.data, kind: outcome.kind, status: "queued" });
  if (outcome.status === null) return rejection(404, "no job with that id");
  return rejection(409, `the job is ${outcome.status}; only dead jobs can be replayed`);
}

/**
 * GET /api/admin/drift/circle[?accessGroupId=]: each of the catalog's Circle access groups (or
 * the one asked for) read back from Circle and compared with the record. Reads only.
 */
export async function circleDrift(request: Request, deps: AdminDeps & Pick<Runtime, "catalog" | "circle">): Promise<Response> {
  const query = await authorizedQuery(request, deps, driftQuery);
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

// Console sign-in, the session, sign-out: /api/admin/session.

/** What signing in needs besides the guard's dependencies: the failed-sign-in limiter. */
export type SignInDeps = GuardDeps & Pick<Runtime, "signInLimiter">;

const signInRequest = z
  .object({
    email: adminEmail,
    password: z.string().min(1, { message: "password is required" }).max(1024, { message: "password: at most 1024 characters" }),
  })
  .strict();

const WRONG_CREDENTIALS = "email or password is wrong";

/**
 * POST /api/admin/session with `{ email, password }`: 200 with the admin and a session cookie,
 * 401 "email or password is wrong" (unknown email and wrong password alike, in the same time),
 * 429 with Retry-After once an account or an address has failed too often, 403 from another site.
 */
export async function signIn(request: Request, deps: SignInDeps): Promise<Response> {
  // No cookie authorises this request, but another site must not sign a browser in either
  // (login CSRF): a browser's foreign Origin or Sec-Fetch-Site is refused; scripts send neither.
  const origin = request.headers.get("origin");
  if ((origin !== null && !isSameOrigin(request, deps.env)) || request.headers.get("sec-fetch-site") === "cross-site") return crossSiteRefusal();
  const parsed = await readJsonBody(request, signInRequest);
  if (!parsed.ok) return parsed.response;
  const { email, password } = parsed.data;

  const attempt = { account: email, address: clientAddress(request.headers, deps.env.TRUSTED_PROXY_HOPS) };
  const allowed = await deps.signInLimiter.attempt(attempt);
  if (!allowed.ok) {
    log.warn({ scope: allowed.scope }, "admin sign-in: too many failures");
    const minutes = Math.ceil(allowed.retryAfterSeconds / 60);
    return Response.json(
      { error: `too many failed sign-ins: try again in ${minutes} minute${minutes === 1 ? "" : "s"}` },
      { status: 429, headers: { "retry-after": String(allowed.retryAfterSeconds) } },
    );
  }
  const admin = await verifyAdminPassword(deps.db, email, password);
  if (!admin) {
    log.info("admin sign-in: wrong email or password");
    return rejection(401, WRONG_CREDENTIALS);
  }
  await deps.signInLimiter.succeeded(attempt);

  const token = await openSession(deps.db, admin.id);
  const response = json(200, { email: admin.email, name: admin.name });
  const session = await sessionCookie(request, response, deps);
  session.token = token;
  await session.save();
  log.info({ adminId: admin.id }, "admin signed in");
  return response;
}

/** GET /api/admin/session: the signed-in admin `{ email, name }`, or 401. */
export async function getSession(request: Request, deps: GuardDeps): Promise<Response> {
  const token = tokenOf(await sessionCookie(request, new Response(null), deps));
  const admin = token ? await resumeSession(deps.db, token) : null;
  if (!admin) return rejection(401, "not signed in");
  return json(200, { email: admin.email, name: admin.name });
}

/** DELETE /api/admin/session: ends the session (its row) and clears the cookie; 403 from another site. */
export async function signOut(request: Request, deps: GuardDeps): Promise<Response> {
  const response = json(200, { signedOut: true });
  const session = await sessionCookie(request, response, deps);
  const token = tokenOf(session);
  if (!token) return rejection(401, "not signed in");
  if (!isSameOrigin(request, deps.env)) return crossSiteRefusal();
  await endSession(deps.db, token);
  session.destroy();
  return response;
}
