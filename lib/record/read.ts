import type { Database } from "../db";
import { normalizeEmail } from "../lifecycle/events";

// The canonical record read model: every system's state for one customer, side by side.
// Always a fresh read (chat tools and the admin API depend on that).

export type CustomerRecord = NonNullable<Awaited<ReturnType<typeof getCustomerRecord>>>;

/**
 * A customer is named by a verified identity: a normalized email, or a record id. These are the
 * two parameters of `customerIdByIdentity`; the one that does not apply is null and matches nothing.
 */
export function identityParams(emailOrId: string): [email: string | null, id: string | null] {
  return emailOrId.includes("@") ? [normalizeEmail(emailOrId), null] : [null, emailOrId];
}

/** A scalar subquery for the customer id, given the positions of `identityParams` (e.g. "$1", "$2"). */
export const customerIdByIdentity = (emailParam: string, idParam: string) =>
  `(SELECT id FROM "Customer" WHERE email = ${emailParam} OR id = ${idParam})`;

export async function findCustomerId(db: Database, emailOrId: string): Promise<string | null> {
  const [row] = await db.sql<{ id: string | null }>(`SELECT ${customerIdByIdentity("$1", "$2")} AS id`, identityParams(emailOrId), {
    prepare: "customer_id_by_identity",
  });
  return row?.id ?? null;
}

export async function getCustomerRecord(db: Database, customerId: string) {
  const customer = await db.prisma.customer.findUnique({
    where: { id: customerId },
    include: {
      externalRefs: { orderBy: { createdAt: "asc" } },
      entitlements: { orderBy: { createdAt: "asc" } },
      accessGrants: { orderBy: { accessGroupId: "asc" } },
      tags: { orderBy: { tagId: "asc" } },
      journeys: { orderBy: { startedAt: "asc" } },
      tickets: { orderBy: { createdAt: "asc" }, include: { notes: { orderBy: { createdAt: "asc" } } } },
    },
  });
  if (!customer) return null;
  const jobCounts = await db.prisma.job.groupBy({ by: ["status"], where: { customerId }, _count: { _all: true } });
  return {
    customer: {
      id: customer.id,
      email: customer.email,
      name: customer.name,
      emailStatus: customer.emailStatus,
      createdAt: customer.createdAt,
      updatedAt: customer.updatedAt,
    },
    externalRefs: customer.externalRefs.map((ref) => ({ provider: ref.provider, externalId: ref.externalId })),
    entitlements: customer.entitlements.map((entitlement) => ({
      plan: entitlement.planKey,
      status: entitlement.status,
      accessUntil: entitlement.accessUntil,
      graceUntil: entitlement.graceUntil,
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
      sourceId: entitlement.sourceId,
      lastPaymentAt: entitlement.lastPaymentAt,
      lastPaymentStatus: entitlement.lastPaymentStatus,
      lastEventAt: entitlement.lastEventAt,
    })),
    access: customer.accessGrants.map((grant) => ({
      accessGroupId: grant.accessGroupId,
      state: grant.state,
      circleMemberId: grant.circleMemberId,
      lastError: grant.lastError,
      updatedAt: grant.updatedAt,
    })),
    tags: customer.tags.map((tag) => ({
      tag: tag.tagId,
      state: tag.state,
      presentInKit: tag.presentInKit,
      syncedAt: tag.syncedAt,
      lastError: tag.lastError,
    })),
    journeys: customer.journeys.map((journey) => ({
      id: journey.id,
      kind: journey.kind,
      key: journey.key,
      startedAt: journey.startedAt,
      endedAt: journey.endedAt,
    })),
    tickets: customer.tickets.map((ticket) => ({
      id: ticket.id,
      journeyId: ticket.journeyId,
      category: ticket.category,
      status: ticket.status,
      source: ticket.source,
      summary: ticket.summary,
      notes: ticket.notes.length,
      createdAt: ticket.createdAt,
    })),
    jobs: Object.fromEntries(jobCounts.map((row) => [row.status, row._count._all])) as Partial<Record<"queued" | "running" | "succeeded" | "dead", number>>,
  };
}
