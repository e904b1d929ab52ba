import type { Database, Row } from "../db";
import { CUSTOMER_VISIBLE_WORK } from "../jobs/kinds";
import { identityParams } from "./read";

// What the chat may know about the verified customer, read fresh at every call: their
// entitlements, access per community group with a plain reason when it failed, the latest
// payment, side effects still queued or retrying, and open tickets. No internal ids.

export interface EntitlementView {
  found: true;
  asOf: string;
  entitlements: Array<{ plan: string; planName: string; status: string; accessUntil: string | null; cancelAtPeriodEnd: boolean }>;
  access: Array<{ group: string; state: string; since: string; problem: string | null }>;
  latestPayment: { status: string; at: string } | null;
  pendingWork: Array<{ what: string; state: "queued" | "retrying" | "running"; ageSeconds: number }>;
  openTickets: Array<{ reference: string; category: string; status: string; openedAt: string }>;
}

/** No record under the identity: only the tickets it opened itself, so "what about my ticket?" still has an answer. */
export type EntitlementLookup = EntitlementView | { found: false; asOf: string; openTickets: EntitlementView["openTickets"] };

/** A failure a customer can understand; provider error text stays in the admin view. */
function plainProblem(state: string, lastError: string | null): string | null {
  if (state !== "failed") return null;
  if (lastError?.startsWith("revoke failed")) return "removing access did not go through yet";
  return "the community invitation could not be created after several tries; our team has been notified";
}

/** The ticket reference customers see: short, and not the database id. */
export const ticketReference = (ticketId: string) => `T-${ticketId.replace(/-/g, "").slice(0, 8).toUpperCase()}`;

// The customer and the four parts of the view in one round trip; times as epoch milliseconds
// (the columns hold UTC), rows already filtered and in the order the view lists them.
const VIEW_SQL = `
WITH customer AS (SELECT identified_customer($1, $2) AS id)
SELECT
  customer.id AS "customerId",
  (SELECT COALESCE(json_agg(json_build_object(
      'planKey', "planKey", 'status', status, 'accessUntil', ${epochMs('"accessUntil"')}, 'cancelAtPeriodEnd', "cancelAtPeriodEnd",
      'lastPaymentAt', ${epochMs('"lastPaymentAt"')}, 'lastPaymentStatus', "lastPaymentStatus") ORDER BY "updatedAt" DESC), '[]')
     FROM "Entitlement" WHERE "customerId" = customer.id) AS entitlements,
  (SELECT COALESCE(json_agg(json_build_object(
      'accessGroupId', "accessGroupId", 'state', state, 'updatedAt', ${epochMs('"updatedAt"')}, 'lastError', "lastError") ORDER BY "accessGroupId"), '[]')
     FROM "AccessGrant" WHERE "customerId" = customer.id) AS grants,
  (SELECT COALESCE(json_agg(json_build_object(
      'kind', kind, 'status', status, 'attempts', attempts, 'runAt', ${epochMs('"runAt"')}, 'createdAt', ${epochMs('"createdAt"')}) ORDER BY "createdAt"), '[]')
     FROM "Job" WHERE "customerId" = customer.id AND status IN ('queued', 'running') AND kind = ANY($3::text[])) AS jobs,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', id, 'category', category, 'status', status, 'createdAt', ${epochMs('"createdAt"')}) ORDER BY "createdAt" DESC), '[]')
     FROM (
       SELECT id, category, status, "createdAt" FROM "Ticket" WHERE "customerId" = customer.id AND status IN ('open', 'pending')
       -- With no record, the tickets the signed-in identity opened itself (paid under another address, say).
       UNION ALL
       SELECT id, category, status, "createdAt" FROM "Ticket"
        WHERE customer.id IS NULL AND identity = COALESCE($1, $2) AND "customerId" IS NULL AND status IN ('open', 'pending')) AS own) AS tickets
FROM customer`;

function epochMs(column: string) {
  return `round(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
}

interface ViewRows {
  customerId: string | null;
  entitlements: Array<{
    planKey: string;
    status: string;
    accessUntil: number | null;
    cancelAtPeriodEnd: boolean;
    lastPaymentAt: number | null;
    lastPaymentStatus: string | null;
  }>;
  grants: Array<{ accessGroupId: number; state: string; updatedAt: number; lastError: string | null }>;
  jobs: Array<{ kind: string; status: string; attempts: number; runAt: number; createdAt: number }>;
  tickets: Array<{ id: string; category: string; status: string; createdAt: number }>;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export async function readEntitlementView(
  db: Database,
  identity: string,
  planNames: ReadonlyMap<string, string>,
  groupNames: ReadonlyMap<number, string>,
  now = new Date(),
): Promise<EntitlementLookup> {
  const asOf = now.toISOString();
  const [row] = await db.sql<ViewRows & Row>(VIEW_SQL, [...identityParams(identity), [...CUSTOMER_VISIBLE_WORK.keys()]], { prepare: "entitlement_view" });
  const openTickets = (row?.tickets ?? []).map((ticket) => ({
    reference: ticketReference(ticket.id),
    category: ticket.category,
    status: ticket.status,
    openedAt: iso(ticket.createdAt),
  }));
  if (!row?.customerId) return { found: false, asOf, openTickets };
  const { entitlements, grants, jobs } = row;
  const latest = entitlements
    .filter((entitlement) => entitlement.lastPaymentAt !== null)
    .sort((a, b) => b.lastPaymentAt! - a.lastPaymentAt!)[0];
  return {
    found: true,
    asOf,
    entitlements: entitlements.map((entitlement) => ({
      plan: entitlement.planKey,
      planName: planNames.get(entitlement.planKey) ?? entitlement.planKey,
      status: entitlement.status,
      accessUntil: entitlement.accessUntil === null ? null : iso(entitlement.accessUntil),
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
    })),
    access: grants.map((grant) => ({
      group: groupNames.get(grant.accessGroupId) ?? "the community",
      state: grant.state,
      since: iso(grant.updatedAt),
      problem: plainProblem(grant.state, grant.lastError),
    })),
    latestPayment: latest ? { status: latest.lastPaymentStatus ?? "unknown", at: iso(latest.lastPaymentAt!) } : null,
    pendingWork: jobs
      // Scheduled work (a recheck at period end) is not something the customer is waiting for.
      .filter((job) => job.runAt <= now.getTime() + 60_000 || job.attempts > 0)
      .map((job) => ({
        what: CUSTOMER_VISIBLE_WORK.get(job.kind) ?? "background work",
        state: job.status === "running" ? ("running" as const) : job.attempts > 0 ? ("retrying" as const) : ("queued" as const),
        ageSeconds: Math.max(0, Math.round((now.getTime() - job.createdAt) / 1000)),
      })),
    openTickets,
  };
}
