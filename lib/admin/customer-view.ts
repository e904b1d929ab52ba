import type { Database } from "../db";
import type * as Db from "../generated/prisma/enums";
import type { CircleClient } from "../integrations/circle";
import type { PlanCatalog } from "../lifecycle/catalog";
import { normalizeEmail, type CanonicalEvent } from "../lifecycle/events";
import { normalizeEvent } from "../lifecycle/normalize";
import { ticketReference } from "../record/entitlement-view";
import { readAuditTrail, type AuditRow } from "./audit";
import { likePrefix } from "./events";
import { findMismatches, hasAccessNow, recordSummary, type Mismatch, type RecordSummary } from "./mismatches";

// The console's customer view: Stripe, the record, Circle, Kit and support side by side for one
// customer, the mismatches between them, the journey timeline with its webhook events and jobs,
// and the audit trail. A fresh read, two statements; Circle itself is read only on request
// (`readCircleLive`), within the shared request budget.

const MAX_SEARCH_RESULTS = 20;
/** The timeline shows at most this many of the newest events and of the newest jobs. */
const TIMELINE_LIMIT = 300;

/** Exact for millisecond timestamps whatever type EXTRACT returns. */
const epochMs = (column: string) => `round(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

// ---- search ----

export interface CustomerHit {
  id: string;
  email: string;
  name: string | null;
  /** What matched: the record id, the email (exact or prefix), a linked email, the name, or a Stripe id. */
  matched: "id" | "email" | "alias" | "name" | "stripe";
  mergedIntoId: string | null;
  summary: { status: RecordSummary["status"]; hasAccess: boolean; plans: string[] };
}

// Candidates by rank (exact matches first), one row per customer at its best rank, then the
// customer and their entitlements. $1 the term as typed, $2 lower-cased, $3 an email prefix
// pattern, $4 a name pattern.
const SEARCH_SQL = `
WITH hits AS (
  SELECT id AS "customerId", 0 AS rank, 'id' AS matched FROM "Customer" WHERE id = $1
  UNION ALL SELECT id, 1, 'email' FROM "Customer" WHERE email = $2
  UNION ALL SELECT "customerId", 1, 'alias' FROM "EmailAlias" WHERE email = $2
  UNION ALL SELECT "customerId", 1, 'stripe' FROM "ExternalRef" WHERE provider = 'stripe' AND "externalId" = $1
  UNION ALL SELECT "customerId", 1, 'stripe' FROM "Entitlement" WHERE "sourceId" = $1
  UNION ALL SELECT id, 2, 'email' FROM "Customer" WHERE email LIKE $3 ESCAPE '\\'
  UNION ALL SELECT "customerId", 2, 'alias' FROM "EmailAlias" WHERE email LIKE $3 ESCAPE '\\'
  UNION ALL SELECT id, 3, 'name' FROM "Customer" WHERE name ILIKE $4 ESCAPE '\\'
), best AS (
  SELECT DISTINCT ON ("customerId") "customerId", rank, matched FROM hits ORDER BY "customerId", rank
)
SELECT c.id, c.email, c.name, c."mergedIntoId", best.matched,
       (SELECT COALESCE(json_agg(json_build_object('planKey', "planKey", 'status', status, 'accessUntil', ${epochMs('"accessUntil"')},
                'graceUntil', ${epochMs('"graceUntil"')})), '[]')
          FROM "Entitlement" WHERE "customerId" = c.id) AS entitlements
  FROM best JOIN "Customer" c ON c.id = best."customerId"
 ORDER BY best.rank, c.email
 LIMIT ${MAX_SEARCH_RESULTS}`;

type EntitlementJson = { planKey: string; status: Db.EntitlementStatus; accessUntil: number | null; graceUntil: number | null };
const entitlementFacts = (row: EntitlementJson) => ({
  planKey: row.planKey,
  status: row.status,
  accessUntil: dateOrNull(row.accessUntil),
  graceUntil: dateOrNull(row.graceUntil),
});

/** Customers by email (exact or prefix, linked emails too), name (contains, any case) or Stripe id (cus_…, sub_…, ch_…); at most 20. */
export async function searchCustomers(db: Database, q: string, now = new Date()): Promise<CustomerHit[]> {
  const term = q.trim();
  const lower = normalizeEmail(term);
  type Row = { id: string; email: string; name: string | null; mergedIntoId: string | null; matched: CustomerHit["matched"]; entitlements: EntitlementJson[] };
  const rows = await db.sql<Row>(SEARCH_SQL, [term, lower, likePrefix(lower), `%${likePrefix(term)}`]);
  return rows.map((row) => {
    const summary = recordSummary(row.entitlements.map(entitlementFacts), now);
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      matched: row.matched,
      mergedIntoId: row.mergedIntoId,
      summary: { status: summary.status, hasAccess: summary.hasAccess, plans: summary.plans },
    };
  });
}

// ---- the view ----

export interface OverrideEntry {
  scope: Db.OverrideScope;
  targetId: number;
  effect: Db.OverrideEffect;
  reason: string;
  actor: string;
  at: Date;
}

export type TimelineEntry =
  | { type: "journey_started" | "journey_ended"; at: Date; journeyId: string; kind: Db.JourneyKind; key: string }
  | {
      type: "event";
      at: Date;
      /** The journeys whose Stripe object the event names. */
      journeyIds: string[];
      id: string;
      provider: Db.Provider;
      eventType: string;
      outcome: Db.EventOutcome;
      error: string | null;
      receivedAt: Date;
      processedAt: Date | null;
    }
  | {
      type: "job";
      at: Date;
      /** The job's journey, or for an apply job its event's journeys. */
      journeyIds: string[];
      id: string;
      kind: string;
      status: Db.JobStatus;
      attempts: number;
      maxAttempts: number;
      lastError: string | null;
      runAt: Date;
      finishedAt: Date | null;
    };

export interface CustomerView {
  asOf: Date;
  customer: {
    id: string;
    email: string;
    name: string | null;
    createdAt: Date;
    /** Other addresses linked to this customer. */
    aliases: string[];
    /** Set when this record was merged into another: its history lives there now. */
    mergedInto: { id: string; email: string } | null;
    /** Records merged into this one. */
    mergedFrom: Array<{ id: string; email: string }>;
  };
  stripe: {
    customerIds: string[];
    plans: Array<{ plan: string; planName: string; status: Db.EntitlementStatus; sourceId: string; cancelAtPeriodEnd: boolean }>;
    /** The status of the latest payment ("paid", "failed", "refunded", "disputed"), null before any. */
    paymentStatus: string | null;
    lastPayment: { plan: string; status: string; at: Date } | null;
    lastEvent: { type: string; at: Date } | null;
  };
  record: RecordSummary & {
    entitlements: Array<{
      plan: string;
      planName: string;
      status: Db.EntitlementStatus;
      hasAccess: boolean;
      accessUntil: Date | null;
      graceUntil: Date | null;
      cancelAtPeriodEnd: boolean;
      sourceId: string;
      lastPaymentAt: Date | null;
      lastPaymentStatus: string | null;
      lastEventAt: Date;
    }>;
  };
  circle: {
    memberIds: string[];
    /** Each access group of the customer's plans, plus any group they hold a grant row or an override for. */
    groups: Array<{
      accessGroupId: number;
      /** Plans of the customer that include the group. */
      plans: string[];
      /** The recorded state; null: no grant row. */
      state: Db.AccessState | null;
      circleMemberId: string | null;
      lastError: string | null;
      updatedAt: Date | null;
      override: OverrideEntry | null;
    }>;
  };
  kit: {
    subscriberIds: string[];
    emailStatus: Db.EmailStatus;
    tags: Array<{
      tagId: number;
      /** What the tag means in the catalog: "<plan>:<status>" or "promotional". */
      roles: string[];
      state: Db.TagState | null;
      /** What Kit was last seen holding (a Kit webhook); null: never seen. */
      presentInKit: boolean | null;
      observedAt: Date | null;
      syncedAt: Date | null;
      lastError: string | null;
      override: OverrideEntry | null;
    }>;
  };
  support: {
    tickets: Array<{
      id: string;
      reference: string;
      status: Db.TicketStatus;
      category: string;
      source: Db.TicketSource;
      summary: string;
      /** The first ask and every deduplicated repeat. */
      asks: number;
      journeyId: string | null;
      assignee: { name: string; email: string } | null;
      createdAt: Date;
      resolvedAt: Date | null;
    }>;
    conversations: Array<{ id: string; startedAt: Date; lastMessageAt: Date | null; messageCount: number }>;
  };
  overrides: OverrideEntry[];
  mismatches: Mismatch[];
  timeline: {
    journeys: Array<{ id: string; kind: Db.JourneyKind; key: string; startedAt: Date; endedAt: Date | null }>;
    /** Journeys, events and jobs, oldest first. */
    entries: TimelineEntry[];
  };
  audit: AuditRow[];
}

// Every part of the view but the audit trail, in one round trip; times inside the JSON parts as
// epoch milliseconds (the columns hold UTC), enums as their text.
const VIEW_SQL = `
SELECT c.id, c.email, c.name, c."emailStatus"::text AS "emailStatus", ${epochMs('c."createdAt"')} AS "createdAt",
  (SELECT json_build_object('id', t.id, 'email', t.email) FROM "Customer" t WHERE t.id = c."mergedIntoId") AS "mergedInto",
  (SELECT COALESCE(json_agg(json_build_object('id', m.id, 'email', m.email) ORDER BY m.email), '[]') FROM "Customer" m WHERE m."mergedIntoId" = c.id) AS "mergedFrom",
  (SELECT COALESCE(json_agg(email ORDER BY email), '[]') FROM "EmailAlias" WHERE "customerId" = c.id) AS aliases,
  (SELECT COALESCE(json_agg(json_build_object('provider', provider, 'externalId', "externalId") ORDER BY "createdAt"), '[]')
     FROM "ExternalRef" WHERE "customerId" = c.id) AS refs,
  (SELECT COALESCE(json_agg(json_build_object(
      'planKey', "planKey", 'status', status, 'accessUntil', ${epochMs('"accessUntil"')}, 'graceUntil', ${epochMs('"graceUntil"')},
      'cancelAtPeriodEnd', "cancelAtPeriodEnd", 'sourceId', "sourceId", 'lastPaymentAt', ${epochMs('"lastPaymentAt"')},
      'lastPaymentStatus', "lastPaymentStatus", 'lastEventAt', ${epochMs('"lastEventAt"')}) ORDER BY "createdAt"), '[]')
     FROM "Entitlement" WHERE "customerId" = c.id) AS entitlements,
  (SELECT COALESCE(json_agg(json_build_object(
      'accessGroupId', "accessGroupId", 'state', state, 'circleMemberId', "circleMemberId", 'lastError', "lastError",
      'updatedAt', ${epochMs('"updatedAt"')}) ORDER BY "accessGroupId"), '[]')
     FROM "AccessGrant" WHERE "customerId" = c.id) AS grants,
  (SELECT COALESCE(json_agg(json_build_object(
      'tagId', "tagId", 'state', state, 'presentInKit', "presentInKit", 'observedAt', ${epochMs('"observedAt"')},
      'syncedAt', ${epochMs('"syncedAt"')}, 'lastError', "lastError", 'updatedAt', ${epochMs('"updatedAt"')}) ORDER BY "tagId"), '[]')
     FROM "EmailTagState" WHERE "customerId" = c.id) AS tags,
  (SELECT COALESCE(json_agg(json_build_object(
      'scope', scope, 'targetId', "targetId", 'effect', effect, 'reason', reason, 'actor', actor, 'at', ${epochMs('"createdAt"')}) ORDER BY "createdAt"), '[]')
     FROM "Override" WHERE "customerId" = c.id) AS overrides,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', id, 'kind', kind, 'key', key, 'startedAt', ${epochMs('"startedAt"')}, 'endedAt', ${epochMs('"endedAt"')}) ORDER BY "startedAt"), '[]')
     FROM "Journey" WHERE "customerId" = c.id) AS journeys,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', t.id, 'status', t.status, 'category', t.category, 'source', t.source, 'summary', t.summary, 'journeyId', t."journeyId",
      'asks', 1 + (SELECT count(*)::int FROM "TicketNote" n WHERE n."ticketId" = t.id AND n.kind = 'ask'),
      'assignee', (SELECT json_build_object('name', a.name, 'email', a.email) FROM "AdminUser" a WHERE a.id = t."assigneeId"),
      'createdAt', ${epochMs('t."createdAt"')}, 'resolvedAt', ${epochMs('t."resolvedAt"')}) ORDER BY t."createdAt" DESC), '[]')
     FROM "Ticket" t WHERE t."customerId" = c.id) AS tickets,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', v.id, 'startedAt', ${epochMs('v."createdAt"')},
      'lastMessageAt', (SELECT ${epochMs('max(m."createdAt")')} FROM "Message" m WHERE m."conversationId" = v.id),
      'messageCount', (SELECT count(*)::int FROM "Message" m WHERE m."conversationId" = v.id)) ORDER BY v."updatedAt" DESC), '[]')
     FROM "Conversation" v WHERE v."customerId" = c.id OR v.identity IN (c.email, c.id)) AS conversations,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', id, 'provider', provider, 'type', type, 'at', ${epochMs('"providerCreatedAt"')}, 'receivedAt', ${epochMs('"receivedAt"')},
      'processedAt', ${epochMs('"processedAt"')}, 'outcome', outcome, 'error', error, 'payload', payload)), '[]')
     FROM (SELECT * FROM "WebhookEvent" WHERE "customerId" = c.id ORDER BY "providerCreatedAt" DESC LIMIT ${TIMELINE_LIMIT}) e) AS events,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', id, 'kind', kind, 'status', status, 'attempts', attempts, 'maxAttempts', "maxAttempts", 'lastError', "lastError",
      'journeyId', "journeyId", 'ledgerId', payload->>'ledgerId', 'at', ${epochMs('"createdAt"')}, 'runAt', ${epochMs('"runAt"')},
      'finishedAt', ${epochMs('"finishedAt"')})), '[]')
     FROM (SELECT * FROM "Job" WHERE "customerId" = c.id
              -- the apply jobs of the customer's events, enqueued before anyone knew whose they were (found by their dedupe key)
              OR "dedupeKey" IN (SELECT 'lifecycle.apply:' || id FROM "WebhookEvent" WHERE "customerId" = c.id)
            ORDER BY "createdAt" DESC LIMIT ${TIMELINE_LIMIT}) j) AS jobs
FROM "Customer" c WHERE c.id = $1`;

interface ViewRow {
  id: string;
  email: string;
  name: string | null;
  emailStatus: Db.EmailStatus;
  createdAt: number;
  mergedInto: { id: string; email: string } | null;
  mergedFrom: Array<{ id: string; email: string }>;
  aliases: string[];
  refs: Array<{ provider: Db.Provider; externalId: string }>;
  entitlements: Array<
    EntitlementJson & { cancelAtPeriodEnd: boolean; sourceId: string; lastPaymentAt: number | null; lastPaymentStatus: string | null; lastEventAt: number }
  >;
  grants: Array<{ accessGroupId: number; state: Db.AccessState; circleMemberId: string | null; lastError: string | null; updatedAt: number }>;
  tags: Array<{
    tagId: number;
    state: Db.TagState;
    presentInKit: boolean | null;
    observedAt: number | null;
    syncedAt: number | null;
    lastError: string | null;
    updatedAt: number;
  }>;
  overrides: Array<Omit<OverrideEntry, "at"> & { at: number }>;
  journeys: Array<{ id: string; kind: Db.JourneyKind; key: string; startedAt: number; endedAt: number | null }>;
  tickets: Array<{
    id: string;
    status: Db.TicketStatus;
    category: string;
    source: Db.TicketSource;
    summary: string;
    journeyId: string | null;
    asks: number;
    assignee: { name: string; email: string } | null;
    createdAt: number;
    resolvedAt: number | null;
  }>;
  conversations: Array<{ id: string; startedAt: number; lastMessageAt: number | null; messageCount: number }>;
  events: Array<{
    id: string;
    provider: Db.Provider;
    type: string;
    at: number;
    receivedAt: number;
    processedAt: number | null;
    outcome: Db.EventOutcome;
    error: string | null;
    payload: unknown;
  }>;
  jobs: Array<{
    id: string;
    kind: string;
    status: Db.JobStatus;
    attempts: number;
    maxAttempts: number;
    lastError: string | null;
    journeyId: string | null;
    /** The ledger row an apply job applies. */
    ledgerId: string | null;
    at: number;
    runAt: number;
    finishedAt: number | null;
  }>;
}

/** The Stripe objects an event names that can key a journey (subscription, checkout session, invoice, charge, dispute). */
export function journeyObjects(event: CanonicalEvent): string[] {
  switch (event.kind) {
    case "checkout_completed":
      return [event.sourceId];
    case "subscription_changed":
      return [event.subscriptionId];
    case "invoice_paid":
    case "invoice_payment_failed":
      return event.subscriptionId === null ? [event.invoiceId] : [event.invoiceId, event.subscriptionId];
    case "invoice_payment_paid":
      return [event.invoiceId];
    case "charge_refunded":
      return [event.chargeId];
    case "dispute_opened":
      return [event.disputeId, event.chargeId];
    case "customer_updated":
    case "kit_subscriber_state":
    case "kit_tag_changed":
      return [];
  }
}

const ENTRY_ORDER: Record<TimelineEntry["type"], number> = { journey_started: 0, event: 1, job: 2, journey_ended: 3 };

function timelineOf(row: ViewRow): CustomerView["timeline"] {
  const journeys = row.journeys.map((journey) => ({ ...journey, startedAt: new Date(journey.startedAt), endedAt: dateOrNull(journey.endedAt) }));
  const journeysByKey = new Map<string, string[]>();
  for (const journey of journeys) journeysByKey.set(journey.key, [...(journeysByKey.get(journey.key) ?? []), journey.id]);
  const entries: TimelineEntry[] = [];
  for (const journey of journeys) {
    entries.push({ type: "journey_started", at: journey.startedAt, journeyId: journey.id, kind: journey.kind, key: journey.key });
    if (journey.endedAt) entries.push({ type: "journey_ended", at: journey.endedAt, journeyId: journey.id, kind: journey.kind, key: journey.key });
  }
  const eventJourneys = new Map<string, string[]>();
  for (const event of row.events) {
    const normalized = normalizeEvent(event.provider, event.payload);
    const objects = normalized.ok ? journeyObjects(normalized.event) : [];
    const journeyIds = [...new Set(objects.flatMap((object) => journeysByKey.get(object) ?? []))];
    eventJourneys.set(event.id, journeyIds);
    entries.push({
      type: "event",
      at: new Date(event.at),
      journeyIds,
      id: event.id,
      provider: event.provider,
      eventType: event.type,
      outcome: event.outcome,
      error: event.error,
      receivedAt: new Date(event.receivedAt),
      processedAt: dateOrNull(event.processedAt),
    });
  }
  for (const job of row.jobs) {
    entries.push({
      type: "job",
      at: new Date(job.at),
      // An apply job belongs where its event does.
      journeyIds: job.journeyId !== null ? [job.journeyId] : job.ledgerId !== null ? (eventJourneys.get(job.ledgerId) ?? []) : [],
      id: job.id,
      kind: job.kind,
      status: job.status,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      lastError: job.lastError,
      runAt: new Date(job.runAt),
      finishedAt: dateOrNull(job.finishedAt),
    });
  }
  entries.sort((a, b) => a.at.getTime() - b.at.getTime() || ENTRY_ORDER[a.type] - ENTRY_ORDER[b.type]);
  return { journeys, entries };
}

/** What each Kit tag means in the catalog. */
function tagRoles(catalog: PlanCatalog): Map<number, string[]> {
  const roles = new Map<number, string[]>();
  const add = (tagId: number, role: string) => roles.set(tagId, [...(roles.get(tagId) ?? []), role]);
  for (const plan of catalog.plans) {
    for (const [status, ids] of Object.entries(plan.kitTagIds)) ids.forEach((id) => add(id, `${plan.key}:${status}`));
  }
  catalog.promotionalTagIds.forEach((id) => add(id, "promotional"));
  return roles;
}

/** One customer's view, or null for an unknown id. */
export async function getCustomerView(db: Database, catalog: PlanCatalog, customerId: string, now = new Date()): Promise<CustomerView | null> {
  const [row] = await db.sql<ViewRow & Record<string, unknown>>(VIEW_SQL, [customerId]);
  if (!row) return null;
  const audit = await readAuditTrail(db, customerId);
  const planName = (key: string) => catalog.plans.find((plan) => plan.key === key)?.name ?? key;
  const overrides: OverrideEntry[] = row.overrides.map((override) => ({ ...override, at: new Date(override.at) }));
  const overrideFor = (scope: Db.OverrideScope, targetId: number) => overrides.find((o) => o.scope === scope && o.targetId === targetId) ?? null;

  const facts = row.entitlements.map(entitlementFacts);
  const entitlements = row.entitlements.map((entitlement, index) => ({
    plan: entitlement.planKey,
    planName: planName(entitlement.planKey),
    status: entitlement.status,
    hasAccess: hasAccessNow(facts[index]!, now),
    accessUntil: facts[index]!.accessUntil,
    graceUntil: facts[index]!.graceUntil,
    cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
    sourceId: entitlement.sourceId,
    lastPaymentAt: dateOrNull(entitlement.lastPaymentAt),
    lastPaymentStatus: entitlement.lastPaymentStatus,
    lastEventAt: new Date(entitlement.lastEventAt),
  }));
  const lastPayment = entitlements
    .filter((entitlement) => entitlement.lastPaymentAt !== null)
    .sort((a, b) => b.lastPaymentAt!.getTime() - a.lastPaymentAt!.getTime())[0];
  const lastStripeEvent = row.events.filter((event) => event.provider === "stripe").sort((a, b) => b.at - a.at)[0];

  const grants = row.grants.map((grant) => ({ ...grant, updatedAt: new Date(grant.updatedAt) }));
  const tags = row.tags.map((tag) => ({ ...tag, observedAt: dateOrNull(tag.observedAt), syncedAt: dateOrNull(tag.syncedAt), updatedAt: new Date(tag.updatedAt) }));
  const plans = catalog.plans.filter((plan) => entitlements.some((entitlement) => entitlement.plan === plan.key));
  const groupIds = new Set([
    ...plans.flatMap((plan) => plan.circleAccessGroupIds),
    ...grants.map((grant) => grant.accessGroupId),
    ...overrides.filter((o) => o.scope === "access").map((o) => o.targetId),
  ]);
  const mismatches = findMismatches({ now, catalog, emailStatus: row.emailStatus, entitlements: facts, grants, tags, overrides });
  const roles = tagRoles(catalog);
  // The tags the record holds, any an admin decided about, and any a mismatch is about (a tag never applied has no row).
  const tagIds = new Set([
    ...tags.map((tag) => tag.tagId),
    ...overrides.filter((o) => o.scope === "tag").map((o) => o.targetId),
    ...mismatches.flatMap((mismatch) => (mismatch.tagId === null ? [] : [mismatch.tagId])),
  ]);
  const refsOf = (provider: Db.Provider, prefix = "") => row.refs.filter((ref) => ref.provider === provider && ref.externalId.startsWith(prefix)).map((ref) => ref.externalId);

  return {
    asOf: now,
    customer: {
      id: row.id,
      email: row.email,
      name: row.name,
      createdAt: new Date(row.createdAt),
      aliases: row.aliases,
      mergedInto: row.mergedInto,
      mergedFrom: row.mergedFrom,
    },
    stripe: {
      customerIds: refsOf("stripe", "cus_"),
      plans: entitlements.map((e) => ({ plan: e.plan, planName: e.planName, status: e.status, sourceId: e.sourceId, cancelAtPeriodEnd: e.cancelAtPeriodEnd })),
      paymentStatus: lastPayment?.lastPaymentStatus ?? null,
      lastPayment: lastPayment ? { plan: lastPayment.plan, status: lastPayment.lastPaymentStatus ?? "unknown", at: lastPayment.lastPaymentAt! } : null,
      lastEvent: lastStripeEvent ? { type: lastStripeEvent.type, at: new Date(lastStripeEvent.at) } : null,
    },
    record: { ...recordSummary(facts, now), entitlements },
    circle: {
      memberIds: refsOf("circle"),
      groups: [...groupIds]
        .sort((a, b) => a - b)
        .map((accessGroupId) => {
          const grant = grants.find((candidate) => candidate.accessGroupId === accessGroupId);
          return {
            accessGroupId,
            plans: plans.filter((plan) => plan.circleAccessGroupIds.includes(accessGroupId)).map((plan) => plan.key),
            state: grant?.state ?? null,
            circleMemberId: grant?.circleMemberId ?? null,
            lastError: grant?.lastError ?? null,
            updatedAt: grant?.updatedAt ?? null,
            override: overrideFor("access", accessGroupId),
          };
        }),
    },
    kit: {
      subscriberIds: refsOf("kit"),
      emailStatus: row.emailStatus,
      tags: [...tagIds]
        .sort((a, b) => a - b)
        .map((tagId) => {
          const tag = tags.find((candidate) => candidate.tagId === tagId);
          return {
            tagId,
            roles: roles.get(tagId) ?? [],
            state: tag?.state ?? null,
            presentInKit: tag?.presentInKit ?? null,
            observedAt: tag?.observedAt ?? null,
            syncedAt: tag?.syncedAt ?? null,
            lastError: tag?.lastError ?? null,
            override: overrideFor("tag", tagId),
          };
        }),
    },
    support: {
      tickets: row.tickets.map((ticket) => ({
        ...ticket,
        reference: ticketReference(ticket.id),
        createdAt: new Date(ticket.createdAt),
        resolvedAt: dateOrNull(ticket.resolvedAt),
      })),
      conversations: row.conversations.map((conversation) => ({
        id: conversation.id,
        startedAt: new Date(conversation.startedAt),
        lastMessageAt: dateOrNull(conversation.lastMessageAt),
        messageCount: conversation.messageCount,
      })),
    },
    overrides,
    mismatches,
    timeline: timelineOf(row),
    audit,
  };
}

// ---- Circle, read live ----

export interface CircleLiveRead {
  checkedAt: Date;
  /** The community member Circle has for the customer's email; null: none. */
  member: { id: number; acceptedInvitation: boolean } | null;
  groups: Array<{
    accessGroupId: number;
    /** What the record says; null: no grant row. */
    recorded: Db.AccessState | null;
    /** Whether Circle holds the member in the group now. */
    inCircle: boolean;
    /** The record and Circle agree (invited or active exactly when Circle holds the member). */
    agrees: boolean;
  }>;
}

export interface CircleLiveDeps {
  db: Database;
  catalog: PlanCatalog;
  /** Spends the shared Circle request budget: throws BudgetExhaustedError when it is spent, IntegrationError when Circle fails. */
  circle: CircleClient;
}

/**
 * Reads from Circle, now, whether it holds the customer in each access group the view lists
 * (one request for the member, one per group); null for an unknown customer. Each group is
 * checked with the address access was granted to, which a later email change leaves behind.
 */
export async function readCircleLive(deps: CircleLiveDeps, customerId: string, now = new Date()): Promise<CircleLiveRead | null> {
  type Row = { email: string; planKeys: string[]; grants: Array<{ accessGroupId: number; state: Db.AccessState; memberEmail: string | null }>; overrideGroups: number[] };
  const [row] = await deps.db.sql<Row>(
    `SELECT c.email,
            (SELECT COALESCE(array_agg(DISTINCT "planKey"), '{}') FROM "Entitlement" WHERE "customerId" = c.id) AS "planKeys",
            (SELECT COALESCE(json_agg(json_build_object('accessGroupId', "accessGroupId", 'state', state, 'memberEmail', "memberEmail")), '[]')
               FROM "AccessGrant" WHERE "customerId" = c.id) AS grants,
            (SELECT COALESCE(array_agg("targetId"), '{}') FROM "Override" WHERE "customerId" = c.id AND scope = 'access') AS "overrideGroups"
       FROM "Customer" c WHERE c.id = $1`,
    [customerId],
  );
  if (!row) return null;
  const groupIds = new Set([
    ...deps.catalog.plans.filter((plan) => row.planKeys.includes(plan.key)).flatMap((plan) => plan.circleAccessGroupIds),
    ...row.grants.map((grant) => grant.accessGroupId),
    ...row.overrideGroups,
  ]);
  const found = await deps.circle.findMemberByEmail(row.email);
  const groups: CircleLiveRead["groups"] = [];
  for (const accessGroupId of [...groupIds].sort((a, b) => a - b)) {
    const grant = row.grants.find((candidate) => candidate.accessGroupId === accessGroupId);
    const email = grant?.memberEmail ?? row.email;
    // No member with the customer's email holds no group, unless access went to another address.
    const inCircle = found === null && email === row.email ? false : await deps.circle.isInAccessGroup(accessGroupId, email);
    const recorded = grant?.state ?? null;
    groups.push({ accessGroupId, recorded, inCircle, agrees: inCircle === (recorded === "invited" || recorded === "active") });
  }
  return { checkedAt: now, member: found && { id: found.id, acceptedInvitation: found.acceptedInvitation }, groups };
}
