import type * as Db from "../generated/prisma/enums";
import type { Database, Session } from "../db";
import { normalizeEmail } from "../lifecycle/events";

// The canonical record read model: every system's state for one customer, side by side.
// Always a fresh read (chat tools and the admin API depend on that).

export type CustomerRecord = NonNullable<Awaited<ReturnType<typeof getCustomerRecord>>>;

/**
 * A customer is named by a verified identity: a normalized email, or a record id. These are the
 * two arguments of the `identified_customer(email, id)` SQL function (see the migrations); the
 * one that does not apply is null and matches nothing.
 */
export function identityParams(emailOrId: string): [email: string | null, id: string | null] {
  return emailOrId.includes("@") ? [normalizeEmail(emailOrId), null] : [null, emailOrId];
}

/** The customer an identity names: by their own address or id, or an address an admin linked to them; a merged record stands for the one it went into. */
export async function findCustomerId(db: Database, emailOrId: string): Promise<string | null> {
  const [row] = await db.sql<{ id: string | null }>(`SELECT identified_customer($1, $2) AS id`, identityParams(emailOrId), {
    prepare: "customer_id_by_identity",
  });
  return row?.id ?? null;
}

// The record's version, for an admin form to say which record it was filled in from: a digest
// of what an admin decides on, the facts (entitlements with their latest event, journeys, the
// email and its status, the Stripe ids and linked addresses, whether it was merged) and the
// decisions (overrides, and the version of each grant and tag row, which moves with every change
// of intent but not as the jobs that carry one out progress). $1 is the customer id.
const VERSION_SQL = `md5(concat(
  (SELECT concat(email, '|', "emailStatus", '|', "mergedIntoId") FROM "Customer" WHERE id = $1),
  '#r', (SELECT string_agg("externalId", ',' ORDER BY "externalId") FROM "ExternalRef" WHERE "customerId" = $1 AND provider = 'stripe'),
  '#a', (SELECT string_agg(email, ',' ORDER BY email) FROM "EmailAlias" WHERE "customerId" = $1),
  '#e', (SELECT string_agg(concat("sourceId", ':', "planKey", ':', status, ':', "accessUntil", ':', "graceUntil", ':', "cancelAtPeriodEnd", ':', "lastEventAt"), ','
           ORDER BY "sourceId") FROM "Entitlement" WHERE "customerId" = $1),
  '#j', (SELECT string_agg(concat(id, ':', "endedAt"), ',' ORDER BY id) FROM "Journey" WHERE "customerId" = $1),
  '#o', (SELECT string_agg(concat(scope, ':', "targetId", ':', effect), ',' ORDER BY scope, "targetId") FROM "Override" WHERE "customerId" = $1),
  '#g', (SELECT string_agg(concat("accessGroupId", ':', version), ',' ORDER BY "accessGroupId") FROM "AccessGrant" WHERE "customerId" = $1),
  '#t', (SELECT string_agg(concat("tagId", ':', version), ',' ORDER BY "tagId") FROM "EmailTagState" WHERE "customerId" = $1)))`;

export interface RecordSubject {
  version: string;
  mergedIntoId: string | null;
}

/** Whether the customer exists, whether they were merged, and their record's version (null: no such customer). */
export async function readRecordSubject(session: Session, customerId: string): Promise<RecordSubject | null> {
  const [row] = await session.sql<RecordSubject & Record<string, unknown>>(
    `SELECT "mergedIntoId", ${VERSION_SQL} AS version FROM "Customer" WHERE id = $1`,
    [customerId],
  );
  return row ?? null;
}

// The customer and every part of their record in one round trip. The customer's own times are
// plain columns (read as Dates); times inside the JSON parts come back as epoch milliseconds (the
// columns hold UTC), enums as their text. Each part is ordered as the record lists it.
const RECORD_SQL = `
SELECT
  customer.id, customer.email, customer.name, customer."emailStatus"::text AS "emailStatus", customer."createdAt", customer."updatedAt",
  customer."mergedIntoId", ${VERSION_SQL} AS version,
  -- addresses an admin linked to the customer
  (SELECT COALESCE(json_agg(email ORDER BY "createdAt", email), '[]') FROM "EmailAlias" WHERE "customerId" = customer.id) AS aliases,
  -- an admin's standing decisions, latest first
  (SELECT COALESCE(json_agg(json_build_object(
      'scope', scope, 'targetId', "targetId", 'effect', effect, 'reason', reason, 'actor', actor, 'at', ${epochMs('"createdAt"')}) ORDER BY "createdAt" DESC), '[]')
     FROM "Override" WHERE "customerId" = customer.id) AS overrides,
  -- the provider ids linked to the customer, oldest first
  (SELECT COALESCE(json_agg(json_build_object('provider', provider, 'externalId', "externalId") ORDER BY "createdAt"), '[]')
     FROM "ExternalRef" WHERE "customerId" = customer.id) AS "externalRefs",
  -- entitlements, oldest first
  (SELECT COALESCE(json_agg(json_build_object(
      'planKey', "planKey", 'status', status, 'accessUntil', ${epochMs('"accessUntil"')}, 'graceUntil', ${epochMs('"graceUntil"')},
      'cancelAtPeriodEnd', "cancelAtPeriodEnd", 'sourceId', "sourceId", 'lastPaymentAt', ${epochMs('"lastPaymentAt"')},
      'lastPaymentStatus', "lastPaymentStatus", 'lastEventAt', ${epochMs('"lastEventAt"')}) ORDER BY "createdAt"), '[]')
     FROM "Entitlement" WHERE "customerId" = customer.id) AS entitlements,
  -- Circle access per access group
  (SELECT COALESCE(json_agg(json_build_object(
      'accessGroupId', "accessGroupId", 'state', state, 'circleMemberId', "circleMemberId", 'lastError', "lastError",
      'updatedAt', ${epochMs('"updatedAt"')}) ORDER BY "accessGroupId"), '[]')
     FROM "AccessGrant" WHERE "customerId" = customer.id) AS grants,
  -- Kit tags per tag id
  (SELECT COALESCE(json_agg(json_build_object(
      'tagId', "tagId", 'state', state, 'presentInKit', "presentInKit", 'syncedAt', ${epochMs('"syncedAt"')}, 'lastError', "lastError") ORDER BY "tagId"), '[]')
     FROM "EmailTagState" WHERE "customerId" = customer.id) AS tags,
  -- journeys, earliest start first
  (SELECT COALESCE(json_agg(json_build_object(
      'id', id, 'kind', kind, 'key', key, 'startedAt', ${epochMs('"startedAt"')}, 'endedAt', ${epochMs('"endedAt"')}) ORDER BY "startedAt"), '[]')
     FROM "Journey" WHERE "customerId" = customer.id) AS journeys,
  -- tickets with their number of notes, oldest first
  (SELECT COALESCE(json_agg(json_build_object(
      'id', ticket.id, 'journeyId', ticket."journeyId", 'category', ticket.category, 'status', ticket.status, 'source', ticket.source,
      'summary', ticket.summary, 'notes', (SELECT count(*)::int FROM "TicketNote" WHERE "ticketId" = ticket.id),
      'createdAt', ${epochMs('ticket."createdAt"')}) ORDER BY ticket."createdAt"), '[]')
     FROM "Ticket" ticket WHERE ticket."customerId" = customer.id) AS tickets,
  -- the customer's outbox jobs counted by status (statuses with none left out)
  (SELECT COALESCE(json_object_agg(status::text, n ORDER BY status), '{}')
     FROM (SELECT status, count(*)::int AS n FROM "Job" WHERE "customerId" = customer.id GROUP BY status) AS counts) AS jobs
FROM "Customer" customer WHERE customer.id = $1`;

/** Exact for millisecond timestamps whatever type EXTRACT returns (numeric, or float8 before PostgreSQL 14). */
function epochMs(column: string) {
  return `round(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
}

const dateOrNull = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs));

export async function getCustomerRecord(db: Session, customerId: string) {
  type Row = {
    id: string;
    email: string;
    name: string | null;
    emailStatus: Db.EmailStatus;
    createdAt: Date;
    updatedAt: Date;
    mergedIntoId: string | null;
    version: string;
    aliases: string[];
    overrides: Array<{ scope: Db.OverrideScope; targetId: number; effect: Db.OverrideEffect; reason: string; actor: string; at: number }>;
    externalRefs: Array<{ provider: Db.Provider; externalId: string }>;
    entitlements: Array<{
      planKey: string;
      status: Db.EntitlementStatus;
      accessUntil: number | null;
      graceUntil: number | null;
      cancelAtPeriodEnd: boolean;
      sourceId: string;
      lastPaymentAt: number | null;
      lastPaymentStatus: string | null;
      lastEventAt: number;
    }>;
    grants: Array<{ accessGroupId: number; state: Db.AccessState; circleMemberId: string | null; lastError: string | null; updatedAt: number }>;
    tags: Array<{ tagId: number; state: Db.TagState; presentInKit: boolean | null; syncedAt: number | null; lastError: string | null }>;
    journeys: Array<{ id: string; kind: Db.JourneyKind; key: string; startedAt: number; endedAt: number | null }>;
    tickets: Array<{
      id: string;
      journeyId: string | null;
      category: string;
      status: Db.TicketStatus;
      source: Db.TicketSource;
      summary: string;
      notes: number;
      createdAt: number;
    }>;
    jobs: Partial<Record<Db.JobStatus, number>>;
  };
  const [row] = await db.sql<Row>(RECORD_SQL, [customerId]);
  if (!row) return null;
  return {
    customer: {
      id: row.id,
      email: row.email,
      name: row.name,
      emailStatus: row.emailStatus,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      mergedIntoId: row.mergedIntoId,
    },
    /** The record's version: send it back as an override's `expectedVersion` to refuse acting on a stale view. */
    version: row.version,
    aliases: row.aliases,
    overrides: row.overrides.map((override) => ({ ...override, at: new Date(override.at) })),
    externalRefs: row.externalRefs.map((ref) => ({ provider: ref.provider, externalId: ref.externalId })),
    entitlements: row.entitlements.map((entitlement) => ({
      plan: entitlement.planKey,
      status: entitlement.status,
      accessUntil: dateOrNull(entitlement.accessUntil),
      graceUntil: dateOrNull(entitlement.graceUntil),
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
      sourceId: entitlement.sourceId,
      lastPaymentAt: dateOrNull(entitlement.lastPaymentAt),
      lastPaymentStatus: entitlement.lastPaymentStatus,
      lastEventAt: new Date(entitlement.lastEventAt),
    })),
    access: row.grants.map((grant) => ({
      accessGroupId: grant.accessGroupId,
      state: grant.state,
      circleMemberId: grant.circleMemberId,
      lastError: grant.lastError,
      updatedAt: new Date(grant.updatedAt),
    })),
    tags: row.tags.map((tag) => ({
      tag: tag.tagId,
      state: tag.state,
      presentInKit: tag.presentInKit,
      syncedAt: dateOrNull(tag.syncedAt),
      lastError: tag.lastError,
    })),
    journeys: row.journeys.map((journey) => ({
      id: journey.id,
      kind: journey.kind,
      key: journey.key,
      startedAt: new Date(journey.startedAt),
      endedAt: dateOrNull(journey.endedAt),
    })),
    tickets: row.tickets.map((ticket) => ({
      id: ticket.id,
      journeyId: ticket.journeyId,
      category: ticket.category,
      status: ticket.status,
      source: ticket.source,
      summary: ticket.summary,
      notes: ticket.notes,
      createdAt: new Date(ticket.createdAt),
    })),
    jobs: row.jobs,
  };
}
