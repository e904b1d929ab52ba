import type * as Db from "../generated/prisma/enums";
import type { Database, Session } from "../db";
import type { HeldRecord, RecordChanges } from "../lifecycle/changes";
import type { HeldGrant } from "../lifecycle/intents";
import type { HeldOverride } from "../lifecycle/overrides";
import type { ExternalId } from "../lifecycle/refs";
import type { AccessState, EmailStatus, EntitlementStatus, JourneyKind, OverrideEffect, OverrideScope, Provider, TagState } from "../lifecycle/states";
import type { JobKind, JobRow } from "../jobs/kinds";

// The record's store: the only writer of Customer, ExternalRef, Entitlement, AccessGrant,
// EmailTagState and Journey, and of a ledger event's processing state (its customer, outcome
// and what it waits for; the ledger inserts it). Every statement is a named function here, and
// the rows they return are typed here, at this one boundary. The hot ones are prepared once
// per connection.

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compiles only while the lifecycle's vocabularies spell exactly the database's enums. */
export type VocabulariesMatch = Assert<
  Same<Db.Provider, Provider> &
    Same<Db.AccessState, AccessState> &
    Same<Db.TagState, TagState> &
    Same<Db.EmailStatus, EmailStatus> &
    Same<Db.EntitlementStatus, EntitlementStatus> &
    Same<Db.JourneyKind, JourneyKind> &
    Same<Db.OverrideScope, OverrideScope> &
    Same<Db.OverrideEffect, OverrideEffect>
>;

/** The advisory lock key that serialises all work on one customer's record. */
export const customerLockKey = (customerId: string) => `customer:${customerId}`;

/** Takes transaction-scoped advisory locks, sorted so two transactions never wait on each other in a cycle. */
export async function lockKeys(tx: Session, keys: string[]): Promise<void> {
  // (The void result is cast to text: drivers cannot read void columns.)
  await tx.sql(`SELECT pg_advisory_xact_lock(hashtextextended(key, 0))::text FROM unnest($1::text[]) AS key ORDER BY key`, [[...new Set(keys)].sort()], {
    prepare: "record_lock",
  });
}

export const lockCustomer = (tx: Session, customerId: string) => lockKeys(tx, [customerLockKey(customerId)]);

// ---- the ledger event being applied ----

export interface LedgerEvent {
  provider: Provider;
  eventId: string;
  payload: unknown;
}

export async function readLedgerEvent(db: Database, ledgerId: string): Promise<LedgerEvent | null> {
  const [row] = await db.sql<LedgerEvent & Record<string, unknown>>(
    `SELECT provider::text AS provider, "eventId", payload FROM "WebhookEvent" WHERE id = $1`,
    [ledgerId],
    { prepare: "record_ledger_event" },
  );
  return row ?? null;
}

export async function markEventIgnored(session: Session, ledgerId: string, reason: string, now: Date): Promise<void> {
  await session.sql(`UPDATE "WebhookEvent" SET outcome = 'ignored', error = $2, "processedAt" = $3::timestamp WHERE id = $1 RETURNING id`, [
    ledgerId,
    reason,
    now.toISOString(),
  ]);
}

/** An event ahead of the one that names its customer waits, listing the ids that would identify it. */
export async function parkEvent(tx: Session, ledgerId: string, awaitingRefs: string[]): Promise<void> {
  await tx.sql(`UPDATE "WebhookEvent" SET "awaitingRefs" = $2::text[], error = $3 WHERE id = $1 RETURNING id`, [
    ledgerId,
    awaitingRefs,
    "waiting for the event that identifies the customer",
  ]);
}

/** An event whose apply job was dead-lettered. */
export async function markEventFailed(db: Database, ledgerId: string, error: string, now = new Date()): Promise<void> {
  await db.sql(`UPDATE "WebhookEvent" SET outcome = 'failed', error = $2, "processedAt" = $3::timestamp WHERE id = $1 RETURNING id`, [
    ledgerId,
    error,
    now.toISOString(),
  ]);
}

// Locks the ledger row and marks it pending again (a failed or ignored event rejoins the
// customer's history the fold reads), unless it is pending already; returns what it was.
const MARK_FOR_REPLAY_SQL = `
WITH target AS (
  SELECT id, outcome::text AS outcome, error, "processedAt", "customerId" FROM "WebhookEvent" WHERE id = $1 FOR UPDATE),
marked AS (
  UPDATE "WebhookEvent" e SET outcome = 'pending', error = NULL, "processedAt" = NULL
    FROM target WHERE e.id = target.id AND target.outcome <> 'pending' RETURNING e.id)
SELECT target.outcome, target.error, target."processedAt", target."customerId", EXISTS (SELECT 1 FROM marked) AS marked FROM target`;

export interface EventBeforeReplay {
  outcome: "pending" | "applied" | "ignored" | "failed";
  error: string | null;
  processedAt: Date | null;
  customerId: string | null;
  /** False when it was pending already (its apply job has not finished). */
  marked: boolean;
}

/** An admin's replay of a stored event: back to pending, so the next apply folds it again. Null: no such event. */
export async function markEventForReplay(tx: Session, ledgerId: string): Promise<EventBeforeReplay | null> {
  const [row] = await tx.sql<EventBeforeReplay & Record<string, unknown>>(MARK_FOR_REPLAY_SQL, [ledgerId]);
  return row ?? null;
}

// ---- resolving and linking customers ----

// Who the event is about: the customer that adopted it already, else the holder of one of its
// external ids, else of its email (a customer's own, or one an admin linked to them); a record
// merged into another stands for that one. A Stripe event naming nobody known creates its
// customer. The customer's own lock (customerLockKey) is taken last, so every later statement
// runs under it.
const RESOLVE_SQL = `
WITH named AS (
  SELECT COALESCE(
    (SELECT "customerId" FROM "WebhookEvent" WHERE id = $1),
    (SELECT ref."customerId" FROM unnest($2::text[], $3::text[]) AS wanted(provider, external_id)
       JOIN "ExternalRef" ref ON ref.provider = wanted.provider::"Provider" AND ref."externalId" = wanted.external_id LIMIT 1),
    (SELECT id FROM "Customer" WHERE email = $4),
    (SELECT "customerId" FROM "EmailAlias" WHERE email = $4)) AS id
), found AS (
  SELECT COALESCE(customer."mergedIntoId", customer.id) AS id FROM "Customer" customer WHERE customer.id = (SELECT id FROM named)
), created AS (
  INSERT INTO "Customer" (id, email, name, "updatedAt")
  SELECT gen_random_uuid(), $4, $5, now() WHERE $6::boolean AND $4::text IS NOT NULL AND (SELECT id FROM found) IS NULL
  RETURNING id
)
SELECT id, pg_advisory_xact_lock(hashtextextended('customer:' || id, 0))::text AS locked
  FROM (SELECT COALESCE((SELECT id FROM found), (SELECT id FROM created)) AS id) AS resolved`;

export interface Identification {
  ledgerId: string;
  refs: ExternalId[];
  email: string | null;
  name: string | null;
  mayCreate: boolean;
}

/** The event's customer, locked (created when allowed and nobody is known); null when nobody is identified. */
export async function resolveCustomer(tx: Session, who: Identification): Promise<string | null> {
  const [row] = await tx.sql<{ id: string | null }>(
    RESOLVE_SQL,
    [who.ledgerId, who.refs.map((ref) => ref.provider), who.refs.map((ref) => ref.externalId), who.email, who.name, who.mayCreate],
    { prepare: "record_resolve" },
  );
  return row?.id ?? null;
}

// Links external ids to the customer, then adopts the events waiting for any of the customer's
// ids, returning what those events were waiting for. The ids linked by this statement are not
// visible to its own reads, so they are added to the customer's known ids by hand.
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
  SELECT id, "awaitingRefs" FROM "WebhookEvent"
   WHERE "customerId" IS NULL AND "awaitingRefs" && ARRAY(SELECT key FROM known)
), adopted AS (
  UPDATE "WebhookEvent" event SET "customerId" = $1, "awaitingRefs" = '{}', outcome = 'pending', error = NULL
    FROM waiting WHERE event.id = waiting.id
  RETURNING waiting.id, waiting."awaitingRefs"
)
SELECT id AS "ledgerId", "awaitingRefs" FROM adopted`;

export interface AdoptedEvent {
  ledgerId: string;
  /** The ids it was waiting for ("provider:externalId"). */
  awaitingRefs: string[];
}

export async function linkExternalIds(tx: Session, customerId: string, refs: ExternalId[]): Promise<AdoptedEvent[]> {
  return tx.sql<AdoptedEvent & Record<string, unknown>>(LINK_SQL, [customerId, refs.map((ref) => ref.provider), refs.map((ref) => ref.externalId)], {
    prepare: "record_link",
  });
}

/** Links one provider id to a customer (a Kit subscriber we created, a Circle member). */
export async function linkExternalId(session: Session, customerId: string, ref: ExternalId): Promise<void> {
  await session.sql(
    `INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId") VALUES (gen_random_uuid(), $1::"Provider", $2, $3)
     ON CONFLICT DO NOTHING RETURNING id`,
    [ref.provider, ref.externalId, customerId],
    { prepare: "record_link_one" },
  );
}

// ---- reading and writing the record of a fold ----

// Everything the fold and the comparison with the record need, in one round trip; the event
// being applied joins its customer's history first (the read sees the row as it was, hence
// the id test). Times come back as epoch milliseconds.
const READ_SQL = `
WITH joined AS (UPDATE "WebhookEvent" SET "customerId" = $1 WHERE id = $2)
SELECT
  (SELECT COALESCE(json_agg(json_build_object('provider', provider, 'payload', payload)), '[]') FROM "WebhookEvent"
    WHERE ("customerId" = $1 OR id = $2) AND outcome IN ('applied', 'pending')) AS history,
  (SELECT json_build_object('email', email, 'emailStatus', "emailStatus", 'mergedIntoId', "mergedIntoId") FROM "Customer" WHERE id = $1) AS customer,
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
     FROM "EmailTagState" WHERE "customerId" = $1) AS tags,
  (SELECT COALESCE(json_agg(json_build_object('scope', scope, 'targetId', "targetId", 'effect', effect)), '[]')
     FROM "Override" WHERE "customerId" = $1) AS overrides`;

/** Exact for millisecond timestamps whatever type EXTRACT returns (numeric, or float8 before PostgreSQL 14). */
function epochMs(column: string) {
  return `round(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
}

export interface HeldState extends HeldRecord {
  /** The customer's events as stored (the event being applied included), for the fold. */
  history: Array<{ provider: Provider; payload: unknown }>;
  /** An admin's standing decisions on the customer's access groups and tags. */
  overrides: HeldOverride[];
  /** Set once an admin merged this record into another. */
  mergedIntoId: string | null;
}

/** The customer's history and record; `ledgerId` (the event being applied) joins the customer first. */
export async function readHeldState(tx: Session, customerId: string, ledgerId: string | null): Promise<HeldState> {
  type Read = Omit<HeldState, "customer" | "mergedIntoId"> & { customer: (HeldState["customer"] & { mergedIntoId: string | null }) | null };
  const [row] = await tx.sql<Read>(READ_SQL, [customerId, ledgerId], { prepare: "record_read" });
  if (!row?.customer) throw new Error(`customer ${customerId} not found`);
  const { mergedIntoId, ...customer } = row.customer;
  return { ...row, customer, mergedIntoId };
}

// Every write of one fold in one statement: entitlements and their audit entries, journeys,
// the email status, the grant and tag rows of the new intents (with what Kit was seen to hold),
// what Kit was seen to hold on the other tag rows, the outbox jobs (through the outbox's
// enqueue_jobs), and, for an applied event, the customer's pending events marked applied.
// No two parts touch the same row.
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
), jobs AS (SELECT enqueue_jobs(doc->'jobs') AS enqueued FROM changes
), applied AS (
  UPDATE "WebhookEvent" SET outcome = 'applied', error = NULL, "processedAt" = $4::timestamp
   WHERE $4::timestamp IS NOT NULL AND "customerId" = $1 AND outcome = 'pending'
)
SELECT (SELECT enqueued FROM jobs) AS enqueued`;

/**
 * Writes what a fold changed and the jobs that carry out its intents, in one statement.
 * `appliedAt` marks the customer's pending events applied (null for a recheck).
 */
export async function writeRecordChanges(
  tx: Session,
  write: { customerId: string; changes: RecordChanges; jobs: JobRow[]; correlationId: string; appliedAt: Date | null },
): Promise<void> {
  // Dates serialise as ISO strings, which the statement reads back as timestamps.
  const doc = JSON.stringify({ ...write.changes, jobs: write.jobs });
  await tx.sql(WRITE_SQL, [write.customerId, doc, write.correlationId, write.appliedAt?.toISOString() ?? null], { prepare: "record_write" });
}

/** A change's id is its audit entry's: each change of address is a move of its own, even back to an earlier address. */
export type EmailChange = { result: "changed"; changeId: string; kitSubscriberId: number | null } | { result: "conflict" };

/**
 * Moves the customer to the email Stripe now holds, with its audit entry; when another record
 * holds that address already (as its own or a linked one), both stay untouched for a person to
 * look at (audited too).
 */
export async function changeCustomerEmail(tx: Session, customerId: string, newEmail: string): Promise<EmailChange> {
  const audit = (action: string, reason: string) =>
    tx.sql<{ id: string }>(`INSERT INTO "AuditLog" (id, actor, action, "customerId", reason) VALUES (gen_random_uuid(), 'system', $1, $2, $3) RETURNING id`, [
      action,
      customerId,
      reason,
    ]);
  const [holder] = await tx.sql<{ id: string }>(
    `SELECT id FROM "Customer" WHERE email = $1 UNION ALL SELECT "customerId" FROM "EmailAlias" WHERE email = $1 AND "customerId" <> $2`,
    [newEmail, customerId],
  );
  if (holder) {
    await audit("customer.email_conflict", "new Stripe email belongs to another customer record");
    return { result: "conflict" };
  }
  await tx.sql(`UPDATE "Customer" SET email = $2, "updatedAt" = now() WHERE id = $1 RETURNING id`, [customerId, newEmail]);
  const [entry] = await audit("customer.email_changed", "email changed at Stripe");
  const [kitRef] = await tx.sql<{ externalId: string }>(`SELECT "externalId" FROM "ExternalRef" WHERE "customerId" = $1 AND provider = 'kit' LIMIT 1`, [customerId]);
  return { result: "changed", changeId: entry!.id, kitSubscriberId: kitRef ? Number(kitRef.externalId) : null };
}

/** The ids of the customer's journeys of one kind with the given keys. */
export async function journeyIds(tx: Session, customerId: string, kind: JourneyKind, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.sql<{ id: string; key: string }>(
    `SELECT id, key FROM "Journey" WHERE "customerId" = $1 AND kind = $2::"JourneyKind" AND key = ANY($3::text[])`,
    [customerId, kind, keys],
  );
  return new Map(rows.map((row) => [row.key, row.id]));
}

// ---- the rows the outbox's jobs serve ----

export interface GrantForJob {
  id: string;
  version: number;
  state: AccessState;
  memberEmail: string | null;
  email: string;
  name: string | null;
  knownInCircle: boolean;
}

/** A grant row with its customer and whether Circle knows them, in one statement. */
export async function readGrantForJob(db: Database, customerId: string, accessGroupId: number): Promise<GrantForJob | null> {
  const [row] = await db.sql<GrantForJob & Record<string, unknown>>(
    `SELECT grant_row.id, grant_row.version, grant_row.state::text AS state, grant_row."memberEmail", customer.email, customer.name,
            EXISTS (SELECT 1 FROM "ExternalRef" WHERE "customerId" = customer.id AND provider = 'circle') AS "knownInCircle"
       FROM "AccessGrant" grant_row JOIN "Customer" customer ON customer.id = grant_row."customerId"
      WHERE grant_row."customerId" = $1 AND grant_row."accessGroupId" = $2`,
    [customerId, accessGroupId],
    { prepare: "record_grant_for_job" },
  );
  return row ?? null;
}

/**
 * The address a grant goes to Circle under, fixed before its first request, so that a retry
 * after a dropped answer (or a worker killed mid-grant) reaches the member the first attempt may
 * have created, whatever the customer's email is by then. Chosen once, under the customer's lock
 * (an email change applies under it too): the grant's own pinned address; else the address
 * another of the customer's grants is pinned to, since an attempt of that grant may have created
 * the member even if its answer never came; else the customer's email now. One customer, one
 * member. Null when the grant moved on to another version.
 */
export async function pinGrantAddress(db: Database, grant: { customerId: string; grantId: string; version: number }): Promise<string | null> {
  return db.transaction(async (tx) => {
    await lockCustomer(tx, grant.customerId);
    const [row] = await tx.sql<{ memberEmail: string }>(
      `UPDATE "AccessGrant" SET "memberEmail" = COALESCE(
         "memberEmail",
         (SELECT sibling."memberEmail" FROM "AccessGrant" sibling
           WHERE sibling."customerId" = $3 AND sibling."memberEmail" IS NOT NULL ORDER BY sibling."updatedAt", sibling.id LIMIT 1),
         (SELECT email FROM "Customer" WHERE id = $3))
        WHERE id = $1 AND version = $2 RETURNING "memberEmail"`,
      [grant.grantId, grant.version, grant.customerId],
      { prepare: "pin_grant_address" },
    );
    return row?.memberEmail ?? null;
  });
}

/** A grant went through: invited or active in Circle, as the member it was granted to, linked to the customer. */
export async function recordGrantDone(
  db: Database,
  done: { grantId: string; version: number; state: "invited" | "active"; circleMemberId: number; memberEmail: string; customerId: string },
): Promise<void> {
  await db.sql(
    `WITH granted AS (
       UPDATE "AccessGrant" SET state = $3::"AccessState", "circleMemberId" = $4, "memberEmail" = $5, "lastError" = NULL, "updatedAt" = now()
        WHERE id = $1 AND version = $2)
     INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId") VALUES (gen_random_uuid(), 'circle', $4, $6)
     ON CONFLICT DO NOTHING RETURNING id`,
    [done.grantId, done.version, done.state, String(done.circleMemberId), done.memberEmail, done.customerId],
    { prepare: "record_grant_done" },
  );
}

export async function recordRevokeDone(db: Database, grantId: string, version: number): Promise<void> {
  await db.sql(`UPDATE "AccessGrant" SET state = 'revoked', "lastError" = NULL, "updatedAt" = now() WHERE id = $1 AND version = $2 RETURNING id`, [grantId, version], {
    prepare: "record_revoke_done",
  });
}

/** A dead grant or revoke leaves its reason on the row, unless a newer decision has moved the row on. */
export async function recordGrantFailed(db: Database, grant: { customerId: string; accessGroupId: number; version: number }, lastError: string): Promise<void> {
  await db.sql(
    `UPDATE "AccessGrant" SET state = 'failed', "lastError" = $4, "updatedAt" = now()
      WHERE "customerId" = $1 AND "accessGroupId" = $2 AND version = $3 RETURNING id`,
    [grant.customerId, grant.accessGroupId, grant.version, lastError.slice(0, 500)],
  );
}

export interface TagForJob {
  id: string;
  version: number;
  email: string;
  name: string | null;
  emailStatus: EmailStatus;
  knownInKit: boolean;
}

export async function readTagForJob(db: Database, customerId: string, tagId: number): Promise<TagForJob | null> {
  const [row] = await db.sql<TagForJob & Record<string, unknown>>(
    `SELECT tag.id, tag.version, customer.email, customer.name, customer."emailStatus"::text AS "emailStatus",
            EXISTS (SELECT 1 FROM "ExternalRef" WHERE "customerId" = customer.id AND provider = 'kit') AS "knownInKit"
       FROM "EmailTagState" tag JOIN "Customer" customer ON customer.id = tag."customerId"
      WHERE tag."customerId" = $1 AND tag."tagId" = $2`,
    [customerId, tagId],
    { prepare: "record_tag_for_job" },
  );
  return row ?? null;
}

export type KitSubscriberClaim = { status: "linked" } | { status: "held" } | { status: "mine"; email: string };

/**
 * Claims the creation of the customer's Kit subscriber for the tag job `jobId`, under the
 * customer's lock: "linked" when a subscriber is linked already; "held" while another job that
 * claimed it still runs under a live lease; else "mine", with the address to create it under (the
 * one an earlier claimant used, whose request may have created it, else the customer's email).
 * Kit's create is an upsert by address, so two jobs creating at once, one that read the customer
 * before an email change and one after, made two subscribers.
 */
export async function claimKitSubscriber(db: Database, customerId: string, jobId: string): Promise<KitSubscriberClaim> {
  return db.transaction(async (tx) => {
    await lockCustomer(tx, customerId);
    const [row] = await tx.sql<{ linked: boolean; held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM "ExternalRef" WHERE "customerId" = c.id AND provider = 'kit') AS linked,
              EXISTS (SELECT 1 FROM "Job" j WHERE j.id = c."kitClaimJob" AND j.id <> $2 AND j.status = 'running' AND j."leaseUntil" > now()) AS held
         FROM "Customer" c WHERE c.id = $1`,
      [customerId, jobId],
    );
    if (!row || row.linked) return { status: "linked" as const };
    if (row.held) return { status: "held" as const };
    const [claimed] = await tx.sql<{ email: string }>(
      `UPDATE "Customer" SET "kitClaimJob" = $2, "kitEmail" = COALESCE("kitEmail", email) WHERE id = $1 RETURNING "kitEmail" AS email`,
      [customerId, jobId],
    );
    return { status: "mine" as const, email: claimed!.email };
  });
}

/** Ends the claim on creating the customer's Kit subscriber, now linked; the customer's email. */
export async function releaseKitClaim(tx: Session, customerId: string): Promise<string | null> {
  const [row] = await tx.sql<{ email: string }>(`UPDATE "Customer" SET "kitClaimJob" = NULL WHERE id = $1 RETURNING email`, [customerId]);
  return row?.email ?? null;
}

/** Settles the tag row this job's version serves (a newer decision keeps its row); a call that went through is the last sync. */
export async function settleTag(db: Database, tagRowId: string, version: number, state: TagState, lastError: string | null): Promise<void> {
  await db.sql(
    `UPDATE "EmailTagState" SET state = $3::"TagState", "lastError" = $4,
            "syncedAt" = CASE WHEN $4::text IS NULL THEN now() ELSE "syncedAt" END, "updatedAt" = now()
      WHERE id = $1 AND version = $2 RETURNING id`,
    [tagRowId, version, state, lastError],
    { prepare: "record_settle_tag" },
  );
}

export async function recordTagFailed(db: Database, tag: { customerId: string; tagId: number; version: number }, lastError: string): Promise<void> {
  await db.sql(
    `UPDATE "EmailTagState" SET state = 'failed', "lastError" = $4, "updatedAt" = now()
      WHERE "customerId" = $1 AND "tagId" = $2 AND version = $3 RETURNING id`,
    [tag.customerId, tag.tagId, tag.version, lastError.slice(0, 500)],
  );
}

// ---- followed invitations and the reconciler's repairs (lib/effects/invitations.ts, lib/reconcile) ----

/** The member accepted Circle's invitation: the grant, still invited at this version, is active. */
export async function recordInvitationAccepted(db: Database, grant: { customerId: string; accessGroupId: number; version: number }): Promise<boolean> {
  const rows = await db.sql(
    `UPDATE "AccessGrant" SET state = 'active', "updatedAt" = now()
      WHERE "customerId" = $1 AND "accessGroupId" = $2 AND version = $3 AND state = 'invited' RETURNING id`,
    [grant.customerId, grant.accessGroupId, grant.version],
  );
  return rows.length > 0;
}

/** A listing showed these members accepted: every grant of the group still invited as one of them is active. */
export async function recordInvitationsAccepted(db: Database, accessGroupId: number, circleMemberIds: number[]): Promise<number> {
  if (circleMemberIds.length === 0) return 0;
  const rows = await db.sql(
    `UPDATE "AccessGrant" SET state = 'active', "updatedAt" = now()
      WHERE "accessGroupId" = $1 AND state = 'invited' AND "circleMemberId" = ANY($2::text[]) RETURNING id`,
    [accessGroupId, circleMemberIds.map(String)],
  );
  return rows.length;
}

/**
 * Carries a grant's decision out again: moves the row (still at `fromVersion`; null: there is
 * none yet, a member added by hand) to the next version in `state`, with the job that serves
 * that version, in one statement. False when the row moved on meanwhile: the newer decision stands.
 */
export async function redoGrant(
  db: Database,
  redo: { customerId: string; accessGroupId: number; fromVersion: number | null; state: "pending" | "revoked"; circleMemberId: number | null; job: (version: number) => JobRow },
): Promise<boolean> {
  const version = (redo.fromVersion ?? 0) + 1;
  const [row] = await db.sql<{ written: number }>(
    `WITH written AS (
       INSERT INTO "AccessGrant" (id, "customerId", "accessGroupId", state, "circleMemberId", version, "updatedAt")
       VALUES (gen_random_uuid(), $1, $2, $3::"AccessState", $5, $6, now())
       ON CONFLICT ("customerId", "accessGroupId") DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, "lastError" = NULL, "updatedAt" = now()
        WHERE "AccessGrant".version = $4::int
       RETURNING id),
     jobs AS (SELECT enqueue_jobs($7::jsonb) AS enqueued FROM written)
     SELECT (SELECT count(*)::int FROM written) AS written, (SELECT enqueued FROM jobs) AS enqueued`,
    [redo.customerId, redo.accessGroupId, redo.state, redo.fromVersion, redo.circleMemberId === null ? null : String(redo.circleMemberId), version, JSON.stringify([redo.job(version)])],
  );
  return (row?.written ?? 0) > 0;
}

/** The same for a tag: applied again (`pending_add`) or taken off again (`pending_remove`). */
export async function redoTag(
  db: Database,
  redo: { customerId: string; tagId: number; fromVersion: number | null; state: "pending_add" | "pending_remove"; job: (version: number) => JobRow },
): Promise<boolean> {
  const version = (redo.fromVersion ?? 0) + 1;
  const [row] = await db.sql<{ written: number }>(
    `WITH written AS (
       INSERT INTO "EmailTagState" (id, "customerId", "tagId", state, version, "updatedAt")
       VALUES (gen_random_uuid(), $1, $2, $3::"TagState", $5, now())
       ON CONFLICT ("customerId", "tagId") DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, "lastError" = NULL, "updatedAt" = now()
        WHERE "EmailTagState".version = $4::int
       RETURNING id),
     jobs AS (SELECT enqueue_jobs($6::jsonb) AS enqueued FROM written)
     SELECT (SELECT count(*)::int FROM written) AS written, (SELECT enqueued FROM jobs) AS enqueued`,
    [redo.customerId, redo.tagId, redo.state, redo.fromVersion, version, JSON.stringify([redo.job(version)])],
  );
  return (row?.written ?? 0) > 0;
}

export async function customerEmail(db: Database, customerId: string): Promise<string | null> {
  const [row] = await db.sql<{ email: string }>(`SELECT email FROM "Customer" WHERE id = $1`, [customerId]);
  return row?.email ?? null;
}

// ---- the invite resend ----

export interface ResendState {
  hasActiveMembership: boolean;
  grants: Array<HeldGrant & { id: string; lastError: string | null }>;
  /** A resend (the customer's or an admin's) was audited after this time. */
  resentRecently: boolean;
  /** Circle grants queued or running. */
  grantsInFlight: number;
}

/** The audit actions of an invite resend: the customer's (through the chat) and an admin's. */
export const RESEND_ACTIONS = ["access.resend", "override.resendInvite"];

/** What decides a resend, in one statement (under the customer's lock). */
export async function readResendState(tx: Session, customerId: string, resentSince: Date): Promise<ResendState> {
  const [row] = await tx.sql<ResendState & Record<string, unknown>>(
    `SELECT
       EXISTS (SELECT 1 FROM "Entitlement" WHERE "customerId" = $1 AND status IN ('active', 'trialing')) AS "hasActiveMembership",
       (SELECT COALESCE(json_agg(json_build_object('id', id, 'accessGroupId', "accessGroupId", 'state', state, 'version', version, 'lastError', "lastError")
                 ORDER BY "accessGroupId"), '[]')
          FROM "AccessGrant" WHERE "customerId" = $1) AS grants,
       EXISTS (SELECT 1 FROM "AuditLog" WHERE "customerId" = $1 AND action = ANY($4::text[]) AND "createdAt" > $2::timestamp) AS "resentRecently",
       (SELECT count(*)::int FROM "Job" WHERE "customerId" = $1 AND kind = $3 AND status IN ('queued', 'running')) AS "grantsInFlight"`,
    [customerId, resentSince.toISOString(), "circle.grant" satisfies JobKind, RESEND_ACTIONS],
  );
  if (!row) throw new Error(`customer ${customerId} not found`);
  return row;
}

/**
 * Moves the given grant rows to their next version, pending again, with the jobs that carry
 * the new versions out and, for a customer's own request (`customerReason`), their audit entry,
 * in one statement. (An admin's resend is audited by the override that makes it.)
 */
export async function requeueGrants(
  tx: Session,
  customerId: string,
  grants: Array<{ id: string; version: number }>,
  jobs: JobRow[],
  customerReason: string | null,
): Promise<void> {
  await tx.sql(
    `WITH bumped AS (
       UPDATE "AccessGrant" grant_row SET state = 'pending', version = wanted.version, "lastError" = NULL, "updatedAt" = now()
         FROM jsonb_to_recordset($2::jsonb) AS wanted(id text, version int)
        WHERE grant_row.id = wanted.id AND grant_row."customerId" = $1),
     jobs AS (SELECT enqueue_jobs($3::jsonb) AS enqueued),
     audited AS (
       INSERT INTO "AuditLog" (id, actor, action, "customerId", reason)
       SELECT gen_random_uuid(), 'customer', 'access.resend', $1, $4 WHERE $4::text IS NOT NULL)
     SELECT (SELECT enqueued FROM jobs) AS enqueued`,
    [customerId, JSON.stringify(grants), JSON.stringify(jobs), customerReason],
  );
}

// ---- an admin's overrides, links and merges (lib/admin/overrides.ts, under the customer's lock) ----

export interface OverrideDecision extends HeldOverride {
  customerId: string;
  reason: string;
  actor: string;
}

/** Records an admin's decision on one access group or tag (the latest per target is the one held); returns the effect it replaced. */
export async function setOverride(tx: Session, decision: OverrideDecision): Promise<OverrideEffect | null> {
  const [row] = await tx.sql<{ previous: OverrideEffect | null }>(
    `WITH previous AS (
       SELECT effect::text AS effect FROM "Override" WHERE "customerId" = $1 AND scope = $2::"OverrideScope" AND "targetId" = $3),
     written AS (
       INSERT INTO "Override" (id, "customerId", scope, "targetId", effect, reason, actor)
       VALUES (gen_random_uuid(), $1, $2::"OverrideScope", $3, $4::"OverrideEffect", $5, $6)
       ON CONFLICT ("customerId", scope, "targetId") DO UPDATE
         SET effect = EXCLUDED.effect, reason = EXCLUDED.reason, actor = EXCLUDED.actor, "createdAt" = now()
       RETURNING id)
     SELECT (SELECT effect FROM previous) AS previous, (SELECT count(*)::int FROM written) AS written`,
    [decision.customerId, decision.scope, decision.targetId, decision.effect, decision.reason, decision.actor],
  );
  return row?.previous ?? null;
}

/** Removes the customer's override on a group or tag, so the record follows its events again; the effect it had, or null when there was none. */
export async function clearOverride(tx: Session, target: Pick<OverrideDecision, "customerId" | "scope" | "targetId">): Promise<OverrideEffect | null> {
  const [row] = await tx.sql<{ effect: OverrideEffect }>(
    `DELETE FROM "Override" WHERE "customerId" = $1 AND scope = $2::"OverrideScope" AND "targetId" = $3 RETURNING effect::text AS effect`,
    [target.customerId, target.scope, target.targetId],
  );
  return row?.effect ?? null;
}

export interface JourneyEnd {
  kind: JourneyKind;
  key: string;
  /** When it had ended before this call (null: it was open). */
  endedBefore: Date | null;
  /** Whether this call ended it. */
  ended: boolean;
}

/** Ends one of the customer's journeys at `at` unless it has ended already; null when the customer has no such journey. */
export async function endJourney(tx: Session, customerId: string, journeyId: string, at: Date): Promise<JourneyEnd | null> {
  const [row] = await tx.sql<JourneyEnd & Record<string, unknown>>(
    `WITH target AS (SELECT id, kind::text AS kind, key, "endedAt" FROM "Journey" WHERE id = $2 AND "customerId" = $1),
     ended AS (UPDATE "Journey" SET "endedAt" = $3::timestamp WHERE id = (SELECT id FROM target) AND "endedAt" IS NULL RETURNING id)
     SELECT kind, key, "endedAt" AS "endedBefore", EXISTS (SELECT 1 FROM ended) AS ended FROM target`,
    [customerId, journeyId, at.toISOString()],
  );
  return row ?? null;
}

export interface EmailHolder {
  customerId: string;
  /** The customer's own address, or one linked to them. */
  as: "primary" | "alias";
  mergedIntoId: string | null;
}

/** Every record that holds an address, as its own or as a linked one. */
export async function emailHolders(session: Session, email: string): Promise<EmailHolder[]> {
  return session.sql<EmailHolder & Record<string, unknown>>(
    `SELECT id AS "customerId", 'primary' AS "as", "mergedIntoId" FROM "Customer" WHERE email = $1
     UNION ALL
     SELECT "customerId", 'alias' AS "as", NULL AS "mergedIntoId" FROM "EmailAlias" WHERE email = $1`,
    [email],
  );
}

/** Links a second address to a customer: events naming it resolve to them. */
export async function addEmailAlias(tx: Session, customerId: string, email: string): Promise<void> {
  await tx.sql(`INSERT INTO "EmailAlias" (email, "customerId") VALUES ($1, $2) RETURNING email`, [email, customerId]);
}

/** The customer an external id is linked to, if any. */
export async function externalIdHolder(session: Session, ref: ExternalId): Promise<string | null> {
  const [row] = await session.sql<{ customerId: string }>(`SELECT "customerId" FROM "ExternalRef" WHERE provider = $1::"Provider" AND "externalId" = $2`, [
    ref.provider,
    ref.externalId,
  ]);
  return row?.customerId ?? null;
}

export interface UnclaimedEvent {
  ledgerId: string;
  provider: Provider;
  payload: unknown;
}

/**
 * Events no customer holds (waiting for one, or set aside because nobody was a customer) whose
 * stored payload mentions `email` anywhere: candidates the caller checks with the normalizer.
 */
export async function unclaimedEventsMentioning(tx: Session, email: string): Promise<UnclaimedEvent[]> {
  return tx.sql<UnclaimedEvent & Record<string, unknown>>(
    `SELECT id AS "ledgerId", provider::text AS provider, payload FROM "WebhookEvent"
      WHERE "customerId" IS NULL AND outcome IN ('pending', 'ignored') AND strpos(lower(payload::text), $1) > 0
      ORDER BY "providerCreatedAt"`,
    [email],
  );
}

/** Gives unclaimed events to a customer, pending again: the fold that follows applies them. */
export async function adoptEvents(tx: Session, customerId: string, ledgerIds: string[]): Promise<void> {
  if (ledgerIds.length === 0) return;
  await tx.sql(
    `UPDATE "WebhookEvent" SET "customerId" = $1, "awaitingRefs" = '{}', outcome = 'pending', error = NULL, "processedAt" = NULL
      WHERE id = ANY($2::text[]) AND "customerId" IS NULL RETURNING id`,
    [customerId, ledgerIds],
  );
}

export interface MergeMoves {
  events: number;
  stripeIds: string[];
  entitlements: number;
  journeys: number;
  /** Addresses that now resolve to the kept record: the merged record's own and its linked ones. */
  emails: string[];
  /** The merged record's own overrides, dropped with it (its access and tags are taken away). */
  droppedOverrides: HeldOverride[];
}

// Moves one record into another in one statement: its history (events), its Stripe ids, the
// entitlements and journeys the history derives, its tickets and conversations, its addresses
// (its own becomes a linked one); its overrides are dropped, and it (and any record merged into
// it before) now stands for the kept one. Its Circle and Kit ids, grants and tags stay: they name
// the accounts its own address holds there, which the re-derive that follows takes away.
const MERGE_SQL = `
WITH events AS (UPDATE "WebhookEvent" SET "customerId" = $2 WHERE "customerId" = $1 RETURNING id),
refs AS (UPDATE "ExternalRef" SET "customerId" = $2 WHERE "customerId" = $1 AND provider = 'stripe' RETURNING "externalId"),
entitlements AS (UPDATE "Entitlement" SET "customerId" = $2, "updatedAt" = now() WHERE "customerId" = $1 RETURNING id),
journeys AS (UPDATE "Journey" SET "customerId" = $2 WHERE "customerId" = $1 RETURNING id),
moved_aliases AS (UPDATE "EmailAlias" SET "customerId" = $2 WHERE "customerId" = $1 RETURNING email),
own_alias AS (
  INSERT INTO "EmailAlias" (email, "customerId") SELECT email, $2 FROM "Customer" WHERE id = $1
  ON CONFLICT (email) DO NOTHING RETURNING email),
dropped AS (DELETE FROM "Override" WHERE "customerId" = $1 RETURNING scope::text AS scope, "targetId", effect::text AS effect),
merged AS (UPDATE "Customer" SET "mergedIntoId" = $2, "updatedAt" = now() WHERE id = $1 RETURNING id),
earlier AS (UPDATE "Customer" SET "mergedIntoId" = $2, "updatedAt" = now() WHERE "mergedIntoId" = $1 RETURNING id)
SELECT
  (SELECT count(*)::int FROM events) AS events,
  (SELECT COALESCE(array_agg("externalId" ORDER BY "externalId"), '{}') FROM refs) AS "stripeIds",
  (SELECT count(*)::int FROM entitlements) AS entitlements,
  (SELECT count(*)::int FROM journeys) AS journeys,
  (SELECT COALESCE(array_agg(email ORDER BY email), '{}') FROM (SELECT email FROM own_alias UNION ALL SELECT email FROM moved_aliases) AS emails) AS emails,
  (SELECT COALESCE(json_agg(json_build_object('scope', scope, 'targetId', "targetId", 'effect', effect) ORDER BY scope, "targetId"), '[]') FROM dropped)
    AS "droppedOverrides",
  (SELECT count(*)::int FROM merged) + (SELECT count(*)::int FROM earlier) AS merged`;

/** Merges record `fromId` into `intoId` (both locked by the caller); see MERGE_SQL. */
export async function mergeInto(tx: Session, fromId: string, intoId: string): Promise<MergeMoves> {
  const [row] = await tx.sql<MergeMoves & { merged: number } & Record<string, unknown>>(MERGE_SQL, [fromId, intoId]);
  if (!row || row.merged === 0) throw new Error(`customer ${fromId} not merged`);
  const { events, stripeIds, entitlements, journeys, emails, droppedOverrides } = row;
  return { events, stripeIds, entitlements, journeys, emails, droppedOverrides };
}
