import type { AccessState, EmailStatus, EntitlementStatus, JourneyKind, Provider, TagState } from "../generated/prisma/enums";
import type { Database, Session } from "../db";
import { insertJobsFromJson, jobRecord, type NewJob } from "../jobs/queue";
import { APPLY_JOB } from "../webhooks/ledger";
import { normalizeEvent } from "../webhooks/normalize";
import type { PlanCatalog } from "./catalog";
import { deriveDesired, type DesiredState } from "./derive";
import type { CanonicalEvent } from "./events";
import { foldEvents, type CustomerFacts } from "./fold";
import { dedupeKey, planIntents, type HeldGrant, type HeldTag, type Intent } from "./intents";

// The I/O around the pure lifecycle: one transaction reads the customer's history, folds it,
// derives what the record should be, and writes the record, the journeys and the outbox jobs
// together. Work for one customer is serialised by an advisory lock on their identity.
// This is the worker's hot path, so it is raw SQL: a handful of statements per event, most of
// them prepared once per connection.

export type ApplyOutcome =
  | { outcome: "applied"; customerId: string; intents: Intent[] }
  | { outcome: "waiting"; reason: string }
  | { outcome: "ignored"; reason: string };

const refKey = (ref: Ref) => `${ref.provider}:${ref.externalId}`;

interface Ref {
  provider: Provider;
  externalId: string;
}

function refsOf(event: CanonicalEvent): Ref[] {
  switch (event.kind) {
    case "kit_subscriber_state":
    case "kit_tag_changed":
      return [{ provider: "kit", externalId: String(event.kitSubscriberId) }];
    default: {
      const ids = [event.identity.stripeCustomerId];
      if (event.kind === "checkout_completed" || event.kind === "invoice_paid") ids.push(event.paymentRef);
      if (event.kind === "invoice_paid" || event.kind === "invoice_payment_failed") ids.push(event.invoiceId);
      if (event.kind === "invoice_payment_paid") ids.push(event.invoiceId, event.paymentRef, event.chargeRef);
      if (event.kind === "charge_refunded") ids.push(event.chargeId, event.paymentRef);
      if (event.kind === "dispute_opened") ids.push(event.chargeId, event.paymentRef);
      return ids.filter((id): id is string => Boolean(id)).map((externalId) => ({ provider: "stripe", externalId }));
    }
  }
}

function emailOf(event: CanonicalEvent): string | null {
  if (event.kind === "kit_subscriber_state" || event.kind === "kit_tag_changed") return event.email;
  return event.identity.email;
}

async function lockIdentity(tx: Session, keys: string[]) {
  // Sorted, so two transactions that need the same keys take them in the same order.
  // (The void result is cast to text: drivers cannot read void columns.)
  await tx.sql(`SELECT pg_advisory_xact_lock(hashtextextended(key, 0))::text FROM unnest($1::text[]) AS key ORDER BY key`, [[...new Set(keys)].sort()], {
    prepare: "apply_lock",
  });
}

/** The advisory lock key that serialises all work on one customer's record. */
export const customerLockKey = (customerId: string) => `customer:${customerId}`;

// Who the event is about: the customer that adopted it already, else the holder of one of its
// external ids, else of its email; a Stripe event naming nobody known creates its customer.
// The customer's own lock (customerLockKey) is taken last, so every later statement runs under it.
const RESOLVE_SQL = `
WITH found AS (
  SELECT COALESCE(
    (SELECT "customerId" FROM "WebhookEvent" WHERE id = $1),
    (SELECT ref."customerId" FROM unnest($2::text[], $3::text[]) AS wanted(provider, external_id)
       JOIN "ExternalRef" ref ON ref.provider = wanted.provider::"Provider" AND ref."externalId" = wanted.external_id LIMIT 1),
    (SELECT id FROM "Customer" WHERE email = $4)) AS id
), created AS (
  INSERT INTO "Customer" (id, email, name, "updatedAt")
  SELECT gen_random_uuid(), $4, $5, now() WHERE $6::boolean AND $4::text IS NOT NULL AND (SELECT id FROM found) IS NULL
  RETURNING id
)
SELECT id, pg_advisory_xact_lock(hashtextextended('customer:' || id, 0))::text AS locked
  FROM (SELECT COALESCE((SELECT id FROM found), (SELECT id FROM created)) AS id) AS resolved`;

/** The event's customer, locked; null when nobody is identified. */
async function resolveCustomer(tx: Session, ledgerId: string, event: CanonicalEvent): Promise<string | null> {
  const refs = refsOf(event);
  // Kit tells us about the whole mailing list; only Stripe makes someone a customer.
  const mayCreate = event.kind !== "kit_subscriber_state" && event.kind !== "kit_tag_changed";
  const name = event.kind === "customer_updated" || "identity" in event ? event.identity.name : null;
  const [row] = await tx.sql<{ id: string | null }>(
    RESOLVE_SQL,
    [ledgerId, refs.map((ref) => ref.provider), refs.map((ref) => ref.externalId), emailOf(event), name, mayCreate],
    { prepare: "apply_resolve" },
  );
  return row?.id ?? null;
}

function parseRefKey(key: string): Ref | null {
  const [provider, ...rest] = key.split(":");
  const externalId = rest.join(":");
  return (provider === "stripe" || provider === "kit" || provider === "circle") && externalId ? { provider, externalId } : null;
}

// Links external ids to the customer, then adopts the events waiting for any of the customer's
// ids (their dead apply jobs count as done: this fold applies them), returning what those
// events were waiting for. The ids linked by this statement are not visible to its own reads,
// so they are added to the customer's known ids by hand.
const LINK_SQL = `
WITH linked AS (
  INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId")
  SELECT gen_random_uuid(), wanted.provider::"Provider", wanted.external_id, $1 FROM unnest($2::text[], $3::text[]) AS wanted(provider, external_id)
  ON CONFLICT DO NOTHING
  RETURNING provider::text || ':' || "externalId" AS key
), known AS (
  SELECT provider::text || ':' || "externalId" AS key FROM "ExternalRef" WHERE "customerId" = $1
  UNION ALL SELECT key FROM linked
), waiting AS (
  SELECT id, provider, "eventId", "awaitingRefs" FROM "WebhookEvent"
   WHERE "customerId" IS NULL AND "awaitingRefs" && ARRAY(SELECT key FROM known)
), adopted AS (
  UPDATE "WebhookEvent" event SET "customerId" = $1, "awaitingRefs" = '{}', outcome = 'pending', error = NULL
    FROM waiting WHERE event.id = waiting.id
  RETURNING waiting.provider, waiting."eventId", waiting."awaitingRefs"
), settled AS (
  UPDATE "Job" SET status = 'succeeded', "lastError" = 'applied once its customer was identified', "customerId" = $1, "updatedAt" = now()
   WHERE "dedupeKey" IN (SELECT '${APPLY_JOB}:' || provider::text || ':' || "eventId" FROM adopted) AND status = 'dead'
)
SELECT "awaitingRefs" FROM adopted`;

/**
 * Links the event's external ids to the customer, then adopts the events that were waiting
 * for any of the customer's ids, linking theirs in turn (a payment that named an invoice
 * names the charge a later dispute will name).
 */
async function linkRefs(tx: Session, customerId: string, event: CanonicalEvent) {
  let newRefs = refsOf(event);
  for (;;) {
    const adopted = await tx.sql<{ awaitingRefs: string[] }>(
      LINK_SQL,
      [customerId, newRefs.map((ref) => ref.provider), newRefs.map((ref) => ref.externalId)],
      { prepare: "apply_link" },
    );
    if (adopted.length === 0) return;
    newRefs = adopted.flatMap((row) => row.awaitingRefs.map(parseRefKey)).filter((ref): ref is Ref => ref !== null);
  }
}

// Everything the fold and the comparison with the record need, in one round trip; the event
// being applied joins its customer's history first (the read sees the row as it was, hence
// the id test). Times come back as epoch milliseconds.
const READ_STATE_SQL = `
WITH joined AS (UPDATE "WebhookEvent" SET "customerId" = $1 WHERE id = $2)
SELECT
  (SELECT COALESCE(json_agg(json_build_object('provider', provider, 'payload', payload)), '[]') FROM "WebhookEvent"
    WHERE ("customerId" = $1 OR id = $2) AND outcome IN ('applied', 'pending')) AS history,
  (SELECT json_build_object('email', email, 'emailStatus', "emailStatus") FROM "Customer" WHERE id = $1) AS customer,
  (SELECT COALESCE(json_agg(json_build_object(
      'sourceId', "sourceId", 'planKey', "planKey", 'status', status, 'cancelAtPeriodEnd', "cancelAtPeriodEnd",
      'lastPaymentStatus', "lastPaymentStatus", 'accessUntil', ${epochMs('"accessUntil"')}, 'graceUntil', ${epochMs('"graceUntil"')},
      'lastPaymentAt', ${epochMs('"lastPaymentAt"')}, 'lastEventAt', ${epochMs('"lastEventAt"')})), '[]')
     FROM "Entitlement" WHERE "customerId" = $1) AS entitlements,
  (SELECT COALESCE(json_agg(json_build_object('kind', kind, 'key', key, 'startedAt', ${epochMs('"startedAt"')}, 'endedAt', ${epochMs('"endedAt"')})), '[]')
     FROM "Journey" WHERE "customerId" = $1) AS journeys,
  (SELECT COALESCE(json_agg(json_build_object('accessGroupId', "accessGroupId", 'state', state, 'version', version)), '[]')
     FROM "AccessGrant" WHERE "customerId" = $1) AS grants,
  (SELECT COALESCE(json_agg(json_build_object('tagId', "tagId", 'state', state, 'version', version)), '[]')
     FROM "EmailTagState" WHERE "customerId" = $1) AS tags`;

/** Exact for millisecond timestamps whatever type EXTRACT returns (numeric, or float8 before PostgreSQL 14). */
function epochMs(column: string) {
  return `round(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
}

interface HeldEntitlement {
  sourceId: string;
  planKey: string;
  status: EntitlementStatus;
  cancelAtPeriodEnd: boolean;
  lastPaymentStatus: string | null;
  accessUntil: number | null;
  graceUntil: number | null;
  lastPaymentAt: number | null;
  lastEventAt: number;
}

interface HeldState {
  history: Array<{ provider: Provider; payload: unknown }>;
  customer: { email: string; emailStatus: EmailStatus };
  entitlements: HeldEntitlement[];
  journeys: Array<{ kind: JourneyKind; key: string; startedAt: number; endedAt: number | null }>;
  grants: HeldGrant[];
  tags: HeldTag[];
}

async function readState(tx: Session, customerId: string, ledgerId: string | null): Promise<HeldState> {
  const [row] = await tx.sql<Omit<HeldState, "customer"> & { customer: HeldState["customer"] | null }>(READ_STATE_SQL, [customerId, ledgerId], {
    prepare: "apply_read_state",
  });
  if (!row?.customer) throw new Error(`customer ${customerId} not found`);
  return { ...row, customer: row.customer };
}

const sameTime = (held: number | null, wanted: Date | null) => held === (wanted?.getTime() ?? null);
const iso = (date: Date | null) => date?.toISOString() ?? null;

// Every write of one fold in one statement: entitlements and their audit entries, journeys,
// the email status, the grant and tag rows of the new intents (with what Kit was seen to hold),
// what Kit was seen to hold on the other tag rows, the outbox jobs, and, for an applied event,
// the customer's pending events marked applied. No two parts touch the same row.
const WRITE_SQL = `
WITH changes AS (SELECT $2::jsonb AS doc),
entitlements AS (
  INSERT INTO "Entitlement" (id, "customerId", "sourceId", "planKey", status, "accessUntil", "graceUntil", "cancelAtPeriodEnd",
                             "lastPaymentAt", "lastPaymentStatus", "lastEventAt", "updatedAt")
  SELECT gen_random_uuid(), $1, e."sourceId", e."planKey", e.status, e."accessUntil", e."graceUntil", e."cancelAtPeriodEnd",
         e."lastPaymentAt", e."lastPaymentStatus", e."lastEventAt", now()
    FROM jsonb_to_recordset((SELECT doc->'entitlements' FROM changes)) AS e("sourceId" text, "planKey" text, status "EntitlementStatus",
         "accessUntil" timestamp, "graceUntil" timestamp, "cancelAtPeriodEnd" boolean, "lastPaymentAt" timestamp, "lastPaymentStatus" text, "lastEventAt" timestamp)
  ON CONFLICT ("sourceId") DO UPDATE SET "planKey" = EXCLUDED."planKey", status = EXCLUDED.status, "accessUntil" = EXCLUDED."accessUntil",
         "graceUntil" = EXCLUDED."graceUntil", "cancelAtPeriodEnd" = EXCLUDED."cancelAtPeriodEnd", "lastPaymentAt" = EXCLUDED."lastPaymentAt",
         "lastPaymentStatus" = EXCLUDED."lastPaymentStatus", "lastEventAt" = EXCLUDED."lastEventAt", "updatedAt" = now()
), audits AS (
  INSERT INTO "AuditLog" (id, actor, action, "customerId", "correlationId", before, after)
  SELECT gen_random_uuid(), 'system', 'entitlement.changed', $1, $3, a.before, a.after
    FROM jsonb_to_recordset((SELECT doc->'audits' FROM changes)) AS a(before jsonb, after jsonb)
), journeys AS (
  INSERT INTO "Journey" (id, "customerId", kind, key, "startedAt", "endedAt")
  SELECT gen_random_uuid(), $1, j.kind, j.key, j."startedAt", j."endedAt"
    FROM jsonb_to_recordset((SELECT doc->'journeys' FROM changes)) AS j(kind "JourneyKind", key text, "startedAt" timestamp, "endedAt" timestamp)
  ON CONFLICT (kind, key) DO UPDATE SET "startedAt" = EXCLUDED."startedAt", "endedAt" = EXCLUDED."endedAt"
), email_status AS (
  UPDATE "Customer" SET "emailStatus" = (SELECT doc->>'emailStatus' FROM changes)::"EmailStatus", "updatedAt" = now()
   WHERE id = $1 AND (SELECT doc ? 'emailStatus' FROM changes)
), grants AS (
  INSERT INTO "AccessGrant" (id, "customerId", "accessGroupId", state, version, "updatedAt")
  SELECT gen_random_uuid(), $1, g."accessGroupId", g.state, g.version, now()
    FROM jsonb_to_recordset((SELECT doc->'grants' FROM changes)) AS g("accessGroupId" int, state "AccessState", version int)
  ON CONFLICT ("customerId", "accessGroupId") DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, "lastError" = NULL, "updatedAt" = now()
), tags AS (
  INSERT INTO "EmailTagState" (id, "customerId", "tagId", state, version, "presentInKit", "observedAt", "updatedAt")
  SELECT gen_random_uuid(), $1, t."tagId", t.state, t.version, t."presentInKit", t."observedAt", now()
    FROM jsonb_to_recordset((SELECT doc->'tags' FROM changes)) AS t("tagId" int, state "TagState", version int, "presentInKit" boolean, "observedAt" timestamp)
  ON CONFLICT ("customerId", "tagId") DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, "lastError" = NULL, "updatedAt" = now(),
         "presentInKit" = CASE WHEN EXCLUDED."observedAt" IS NULL THEN "EmailTagState"."presentInKit" ELSE EXCLUDED."presentInKit" END,
         "observedAt" = COALESCE(EXCLUDED."observedAt", "EmailTagState"."observedAt")
), observed AS (
  UPDATE "EmailTagState" tag SET "presentInKit" = o."presentInKit", "observedAt" = o."observedAt", "updatedAt" = now()
    FROM jsonb_to_recordset((SELECT doc->'observed' FROM changes)) AS o("tagId" int, "presentInKit" boolean, "observedAt" timestamp)
   WHERE tag."customerId" = $1 AND tag."tagId" = o."tagId"
), jobs AS (${insertJobsFromJson("(SELECT doc->'jobs' FROM changes)")}
), applied AS (
  UPDATE "WebhookEvent" SET outcome = 'applied', error = NULL, "processedAt" = $4::timestamp
   WHERE $4::timestamp IS NOT NULL AND "customerId" = $1 AND outcome = 'pending'
)
SELECT 1 AS written`;

/**
 * Writes what changed, and only that (most events leave most of the record as it was), the
 * intents' rows and their jobs, and the follow-up check. `appliedAt` marks the customer's
 * pending events applied.
 */
async function writeChanges(
  tx: Session,
  customerId: string,
  held: HeldState,
  desired: DesiredState,
  facts: Pick<CustomerFacts, "emailStatus" | "kitTagsObserved">,
  intents: Intent[],
  correlationId: string,
  appliedAt: Date | null,
) {
  // Rows are keyed by their unique columns so one statement never upserts a row twice: a
  // later change of the same row wins, as it would in a sequence of upserts.
  const entitlements = new Map<string, Record<string, unknown>>();
  const audits = [];
  for (const entitlement of desired.entitlements) {
    const before = held.entitlements.find((row) => row.sourceId === entitlement.sourceId);
    const unchanged =
      before &&
      before.planKey === entitlement.planKey &&
      before.status === entitlement.status &&
      before.cancelAtPeriodEnd === entitlement.cancelAtPeriodEnd &&
      before.lastPaymentStatus === entitlement.lastPaymentStatus &&
      sameTime(before.accessUntil, entitlement.accessUntil) &&
      sameTime(before.graceUntil, entitlement.graceUntil) &&
      sameTime(before.lastPaymentAt, entitlement.lastPaymentAt) &&
      sameTime(before.lastEventAt, entitlement.lastEventAt);
    if (unchanged) continue;
    entitlements.set(entitlement.sourceId, {
      sourceId: entitlement.sourceId,
      planKey: entitlement.planKey,
      status: entitlement.status,
      accessUntil: iso(entitlement.accessUntil),
      graceUntil: iso(entitlement.graceUntil),
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
      lastPaymentAt: iso(entitlement.lastPaymentAt),
      lastPaymentStatus: entitlement.lastPaymentStatus,
      lastEventAt: iso(entitlement.lastEventAt),
    });
    if (before?.status !== entitlement.status || before?.planKey !== entitlement.planKey) {
      audits.push({
        before: before ? { planKey: before.planKey, status: before.status } : null,
        after: { planKey: entitlement.planKey, status: entitlement.status, sourceId: entitlement.sourceId },
      });
    }
  }
  const journeys = new Map<string, Record<string, unknown>>();
  for (const journey of desired.journeys) {
    const row = held.journeys.find((candidate) => candidate.kind === journey.kind && candidate.key === journey.key);
    if (row && sameTime(row.startedAt, journey.startedAt) && sameTime(row.endedAt, journey.endedAt)) continue;
    journeys.set(`${journey.kind}:${journey.key}`, { kind: journey.kind, key: journey.key, startedAt: iso(journey.startedAt), endedAt: iso(journey.endedAt) });
  }

  // Likewise one row per group or tag: a later intent for the same row supersedes an earlier one.
  const grants = new Map<number, { accessGroupId: number; state: AccessState; version: number }>();
  const tags = new Map<number, { tagId: number; state: TagState; version: number; presentInKit: boolean | null; observedAt: string | null }>();
  const jobs: NewJob[] = [];
  for (const intent of intents) {
    if (intent.kind === "circle.grant" || intent.kind === "circle.revoke") {
      grants.set(intent.accessGroupId, { accessGroupId: intent.accessGroupId, state: intent.kind === "circle.grant" ? "pending" : "revoked", version: intent.version });
    } else {
      const seen = facts.kitTagsObserved.get(intent.tagId);
      tags.set(intent.tagId, {
        tagId: intent.tagId,
        state: intent.kind === "kit.tag" ? "pending_add" : "pending_remove",
        version: intent.version,
        presentInKit: seen?.present ?? null,
        observedAt: iso(seen?.at ?? null),
      });
    }
    jobs.push({ kind: intent.kind, payload: { ...intent, customerId }, dedupeKey: dedupeKey(customerId, intent), customerId });
  }
  if (desired.nextCheckAt) {
    jobs.push({
      kind: "lifecycle.recheck",
      payload: { customerId },
      dedupeKey: `lifecycle.recheck:${customerId}:${desired.nextCheckAt.toISOString()}`,
      runAt: desired.nextCheckAt,
      customerId,
    });
  }
  const observed = [...facts.kitTagsObserved]
    .filter(([tagId]) => !tags.has(tagId))
    .map(([tagId, seen]) => ({ tagId, presentInKit: seen.present, observedAt: seen.at.toISOString() }));

  const changes = {
    entitlements: [...entitlements.values()],
    audits,
    journeys: [...journeys.values()],
    ...(held.customer.emailStatus === facts.emailStatus ? {} : { emailStatus: facts.emailStatus }),
    grants: [...grants.values()],
    tags: [...tags.values()],
    observed,
    jobs: jobs.map(jobRecord),
  };
  await tx.sql(WRITE_SQL, [customerId, JSON.stringify(changes), correlationId, iso(appliedAt)], { prepare: "apply_write" });
}

/** One billing ticket per failed-payment episode whose retry window ended unpaid. */
async function openUnpaidTickets(tx: Session, customerId: string, desired: DesiredState) {
  if (desired.unpaidAfterGrace.length === 0) return;
  const journeys = await tx.sql<{ id: string; key: string }>(
    `SELECT id, key FROM "Journey" WHERE kind = 'payment_failure' AND key = ANY($1::text[])`,
    [desired.unpaidAfterGrace.map((unpaid) => unpaid.journeyKey)],
  );
  const tickets = desired.unpaidAfterGrace.flatMap((unpaid) => {
    const journey = journeys.find((row) => row.key === unpaid.journeyKey);
    if (!journey) return [];
    return [
      {
        journeyId: journey.id,
        summary: `Payment retries for ${unpaid.planKey} ended unpaid on ${unpaid.graceUntil.toISOString().slice(0, 10)}; access was revoked.`,
        dedupeKey: ticketDedupeKey(customerId, journey.id, "billing"),
      },
    ];
  });
  await tx.sql(
    `INSERT INTO "Ticket" (id, "customerId", identity, "journeyId", category, source, summary, "dedupeKey", "updatedAt")
     SELECT gen_random_uuid(), $1, customer.email, t."journeyId", 'billing', 'system', t.summary, t."dedupeKey", now()
       FROM jsonb_to_recordset($2::jsonb) AS t("journeyId" text, summary text, "dedupeKey" text), "Customer" customer
      WHERE customer.id = $1
     ON CONFLICT ("dedupeKey") DO NOTHING
     RETURNING id`,
    [customerId, JSON.stringify(tickets)],
  );
}

export function ticketDedupeKey(customerRef: string, journeyId: string | null, category: string): string {
  return `${customerRef}|${journeyId ?? "no-journey"}|${category}`;
}

async function propagateEmailChange(tx: Session, customerId: string, currentEmail: string, newEmail: string | null) {
  if (!newEmail || currentEmail === newEmail) return;
  const audit = (action: string, reason: string) =>
    tx.sql(
      `INSERT INTO "AuditLog" (id, actor, action, "customerId", reason) VALUES (gen_random_uuid(), 'system', $1, $2, $3) RETURNING id`,
      [action, customerId, reason],
    );
  const [holder] = await tx.sql<{ id: string }>(`SELECT id FROM "Customer" WHERE email = $1`, [newEmail]);
  if (holder) {
    // Two records now claim one address: keep both untouched and leave it to a person.
    await audit("customer.email_conflict", "new Stripe email belongs to another customer record");
    return;
  }
  await tx.sql(`UPDATE "Customer" SET email = $2, "updatedAt" = now() WHERE id = $1 RETURNING id`, [customerId, newEmail]);
  await audit("customer.email_changed", "email changed at Stripe");
  const [kitRef] = await tx.sql<{ externalId: string }>(`SELECT "externalId" FROM "ExternalRef" WHERE "customerId" = $1 AND provider = 'kit' LIMIT 1`, [customerId]);
  if (kitRef) {
    const job = jobRecord({
      kind: "kit.update_email",
      payload: { customerId, subscriberId: Number(kitRef.externalId), email: newEmail },
      dedupeKey: `kit.update_email:${customerId}:${newEmail}`,
      customerId,
    });
    await tx.sql(`${insertJobsFromJson("$1::jsonb")} RETURNING id`, [JSON.stringify([job])]);
  }
}

/** Folds the customer's history and writes what it implies; `ledgerId` is the event being applied, if any. */
async function refold(
  tx: Session,
  customerId: string,
  ledgerId: string | null,
  catalog: PlanCatalog,
  now: Date,
  correlationId: string,
): Promise<Intent[]> {
  const held = await readState(tx, customerId, ledgerId);
  const history: CanonicalEvent[] = [];
  for (const row of held.history) {
    const normalized = normalizeEvent(row.provider, row.payload);
    if (normalized.ok) history.push(normalized.event);
  }
  const facts = foldEvents(history, catalog);
  const desired = deriveDesired(facts, catalog, now);
  const intents = planIntents(held, desired);
  await writeChanges(tx, customerId, held, desired, facts, intents, correlationId, ledgerId === null ? null : now);
  await propagateEmailChange(tx, customerId, held.customer.email, history.some((event) => event.kind === "customer_updated") ? facts.email : null);
  await openUnpaidTickets(tx, customerId, desired);
  return intents;
}

const markEvent = (session: Session, ledgerId: string, outcome: "ignored", error: string, now: Date) =>
  session.sql(`UPDATE "WebhookEvent" SET outcome = $2::"EventOutcome", error = $3, "processedAt" = $4::timestamp WHERE id = $1 RETURNING id`, [
    ledgerId,
    outcome,
    error,
    now.toISOString(),
  ]);

/** Applies one recorded webhook event. Safe to run any number of times. */
export async function applyWebhookEvent(db: Database, catalog: PlanCatalog, ledgerId: string, now = new Date()): Promise<ApplyOutcome> {
  const [row] = await db.sql<{ provider: Provider; eventId: string; payload: unknown }>(
    `SELECT provider::text AS provider, "eventId", payload FROM "WebhookEvent" WHERE id = $1`,
    [ledgerId],
    { prepare: "apply_event" },
  );
  if (!row) return { outcome: "ignored", reason: "no such event" };
  const normalized = normalizeEvent(row.provider, row.payload);
  if (!normalized.ok) {
    await markEvent(db, ledgerId, "ignored", normalized.error, now);
    return { outcome: "ignored", reason: normalized.error };
  }
  const event = normalized.event;
  const refs = refsOf(event).map(refKey);
  const lockKeys = [...refs, `email:${emailOf(event) ?? ""}`];

  return db.transaction(async (tx) => {
    await lockIdentity(tx, lockKeys);
    const customerId = await resolveCustomer(tx, ledgerId, event);
    if (!customerId) {
      if (event.kind === "kit_subscriber_state" || event.kind === "kit_tag_changed") {
        await markEvent(tx, ledgerId, "ignored", "not a customer", now);
        return { outcome: "ignored" as const, reason: "not a customer" };
      }
      if (refs.length === 0) {
        await markEvent(tx, ledgerId, "ignored", "names no customer, email or payment", now);
        return { outcome: "ignored" as const, reason: "unidentifiable" };
      }
      // Ahead of the event that names its customer (a subscription update before its
      // checkout, a dispute before its payment): park it; linking adopts it later, and the
      // job retries it with backoff in case nothing does.
      await tx.sql(`UPDATE "WebhookEvent" SET "awaitingRefs" = $2::text[], error = $3 WHERE id = $1 RETURNING id`, [
        ledgerId,
        refs,
        "waiting for the event that identifies the customer",
      ]);
      return { outcome: "waiting" as const, reason: "customer not identified yet" };
    }
    await linkRefs(tx, customerId, event);
    const intents = await refold(tx, customerId, ledgerId, catalog, now, row.eventId);
    return { outcome: "applied" as const, customerId, intents };
  });
}

/** Re-derives a customer's record with no new event: time-based transitions. */
export async function recheckCustomer(db: Database, catalog: PlanCatalog, customerId: string, now = new Date()): Promise<Intent[]> {
  return db.transaction(async (tx) => {
    await lockIdentity(tx, [customerLockKey(customerId)]);
    return refold(tx, customerId, null, catalog, now, `recheck:${now.toISOString()}`);
  });
}
