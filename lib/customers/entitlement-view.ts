import type { Database } from "../db";
import { findCustomerId } from "./record";

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

export type EntitlementLookup = EntitlementView | { found: false; asOf: string };

const WORK_LABEL: Record<string, string> = {
  "circle.grant": "community access",
  "circle.revoke": "community access removal",
  "kit.tag": "email list update",
  "kit.untag": "email list update",
  "kit.update_email": "email address update",
  "lifecycle.apply": "payment processing",
};

/** A failure a customer can understand; provider error text stays in the admin view. */
function plainProblem(state: string, lastError: string | null): string | null {
  if (state !== "failed") return null;
  if (lastError?.startsWith("revoke failed")) return "removing access did not go through yet";
  return "the community invitation could not be created after several tries; our team has been notified";
}

/** The ticket reference customers see: short, and not the database id. */
export const ticketReference = (ticketId: string) => `T-${ticketId.replace(/-/g, "").slice(0, 8).toUpperCase()}`;

export async function readEntitlementView(
  db: Database,
  identity: string,
  planNames: ReadonlyMap<string, string>,
  groupNames: ReadonlyMap<number, string>,
  now = new Date(),
): Promise<EntitlementLookup> {
  const asOf = now.toISOString();
  const customerId = await findCustomerId(db, identity);
  if (!customerId) return { found: false, asOf };
  const [entitlements, grants, jobs, tickets] = await Promise.all([
    db.prisma.entitlement.findMany({ where: { customerId }, orderBy: { updatedAt: "desc" } }),
    db.prisma.accessGrant.findMany({ where: { customerId }, orderBy: { accessGroupId: "asc" } }),
    db.prisma.job.findMany({
      where: { customerId, status: { in: ["queued", "running"] }, kind: { in: Object.keys(WORK_LABEL) } },
      orderBy: { createdAt: "asc" },
    }),
    db.prisma.ticket.findMany({ where: { customerId, status: { in: ["open", "pending"] } }, orderBy: { createdAt: "desc" } }),
  ]);
  const latest = entitlements
    .filter((entitlement) => entitlement.lastPaymentAt)
    .sort((a, b) => b.lastPaymentAt!.getTime() - a.lastPaymentAt!.getTime())[0];
  return {
    found: true,
    asOf,
    entitlements: entitlements.map((entitlement) => ({
      plan: entitlement.planKey,
      planName: planNames.get(entitlement.planKey) ?? entitlement.planKey,
      status: entitlement.status,
      accessUntil: entitlement.accessUntil?.toISOString() ?? null,
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
    })),
    access: grants.map((grant) => ({
      group: groupNames.get(grant.accessGroupId) ?? "the community",
      state: grant.state,
      since: grant.updatedAt.toISOString(),
      problem: plainProblem(grant.state, grant.lastError),
    })),
    latestPayment: latest ? { status: latest.lastPaymentStatus ?? "unknown", at: latest.lastPaymentAt!.toISOString() } : null,
    pendingWork: jobs
      // Scheduled work (a recheck at period end) is not something the customer is waiting for.
      .filter((job) => job.runAt.getTime() <= now.getTime() + 60_000 || job.attempts > 0)
      .map((job) => ({
        what: WORK_LABEL[job.kind] ?? "background work",
        state: job.status === "running" ? ("running" as const) : job.attempts > 0 ? ("retrying" as const) : ("queued" as const),
        ageSeconds: Math.max(0, Math.round((now.getTime() - job.createdAt.getTime()) / 1000)),
      })),
    openTickets: tickets.map((ticket) => ({
      reference: ticketReference(ticket.id),
      category: ticket.category,
      status: ticket.status,
      openedAt: ticket.createdAt.toISOString(),
    })),
  };
}
