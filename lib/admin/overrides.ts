import crypto from "node:crypto";
import { z } from "zod";
import type { Database, Session } from "../db";
import { catalogAccessGroupIds, catalogTagIds, type PlanCatalog } from "../lifecycle/catalog";
import type { Intent } from "../lifecycle/intents";
import { refKey, type ExternalId } from "../lifecycle/refs";
import type { AccessState, OverrideEffect, OverrideScope, TagState } from "../lifecycle/states";
import { adoptEventsNaming, linkAndAdopt, rederiveRecord, type Rederived } from "../record/apply";
import { moveConversations } from "../chat/messages";
import { readRecordSubject } from "../record/read";
import { moveTickets } from "../support/tickets";
import { resendInvitesForAdmin } from "../record/resend";
import * as store from "../record/store";
import { json, rejection } from "../webhooks/http";
import { actorLabel, type Actor } from "./actor";
import { auditView, readAuditTrail, writeAudit, type AuditView } from "./audit";
import { authorizeAdmin, type GuardDeps } from "./guard";
import { authorizedQuery, readJsonBody } from "./http";

// An admin's manual overrides of one customer's record, each with a required reason. Every one
// is one transaction: the customer's lock, the stale-form check, the decision (an Override row, a
// journey's end, a link, a merge), the re-derive of the record with the outbox jobs it implies
// (the same fold, derivation and write as an event's), and the audit row. A refused override
// (bad body, unknown customer, stale form, a conflict) writes nothing.
//
// - grantAccess / revokeAccess, addTag / removeTag: an Override (allow or deny) that derivation
//   applies on every fold, so a later event or re-check never undoes it (a revoke is a ban); the
//   latest decision per group or tag is the one held.
// - endJourney: sets the journey's end now. The journey row is the record of it: derivation never
//   reopens a journey the record holds as ended (lib/lifecycle/overrides.ts), and an unpaid
//   episode an admin ended opens no billing ticket. Access is not touched (that is grant/revoke).
// - resendInvite: re-queues the pending, invited or failed grants, without the chat's 15-minute
//   window, membership or in-flight checks (a person decided it, and it is audited).
// - linkEmail: a second address (EmailAlias): events naming it resolve to this customer, the
//   unclaimed events that name it are adopted, and the record is re-derived. An address another
//   record holds is refused with a hint to merge.
// - linkStripeCustomer: the Stripe customer id (ExternalRef), adopting the events waiting for it.
// - merge: the other record's history, Stripe ids, entitlements, journeys, tickets, conversations
//   and addresses move here; the other is marked merged into this one (anything naming it
//   resolves here) and both are re-derived: the other, left with nothing, gets its Circle access
//   and Kit tags taken away (the typo address leaves Circle); this one derives the merged history.
//
// Stale forms: the customer view carries the record's version (getCustomerRecord's `version`, a
// digest of the record's facts and decisions); an override that sends it as `expectedVersion` is
// refused with 409 when the record has moved on since, checked under the customer's lock. Without
// it, the override applies to the record as it is.

const REASON = "say why (3 to 500 characters)";
const reason = z.string({ error: REASON }).trim().min(3, { error: REASON }).max(500, { error: REASON });
const base = {
  reason,
  /** The record's `version` the form was filled in from. */
  expectedVersion: z.string({ error: "the record version the form was loaded with" }).trim().min(1).max(64).optional(),
};
const accessGroupId = z.number({ error: "an access group id of the plan catalog (a number)" }).int().positive();
const tagId = z.number({ error: "a Kit tag id of the plan catalog (a number)" }).int().positive();

export const OVERRIDE_ACTIONS = [
  "grantAccess",
  "revokeAccess",
  "addTag",
  "removeTag",
  "endJourney",
  "resendInvite",
  "linkEmail",
  "linkStripeCustomer",
  "merge",
  "clearOverride",
] as const;

/** The body of `POST /api/admin/customers/{id}/overrides`. Fields it does not name (an `actor`, say) are ignored. */
export const overrideRequest = z.discriminatedUnion(
  "action",
  [
    z.object({ action: z.literal("grantAccess"), ...base, accessGroupId }),
    z.object({ action: z.literal("revokeAccess"), ...base, accessGroupId }),
    z.object({ action: z.literal("addTag"), ...base, tagId }),
    z.object({ action: z.literal("removeTag"), ...base, tagId }),
    z.object({ action: z.literal("endJourney"), ...base, journeyId: z.string({ error: "the id of one of the customer's journeys" }).trim().min(1).max(100) }),
    z.object({ action: z.literal("resendInvite"), ...base }),
    z.object({
      action: z.literal("linkEmail"),
      ...base,
      email: z.string({ error: "an email address" }).trim().toLowerCase().max(320).pipe(z.email({ error: "an email address" })),
    }),
    z.object({
      action: z.literal("linkStripeCustomer"),
      ...base,
      stripeCustomerId: z.string({ error: "a Stripe customer id (cus_...)" }).trim().regex(/^cus_[A-Za-z0-9]+$/, { error: "a Stripe customer id (cus_...)" }),
    }),
    z.object({ action: z.literal("merge"), ...base, otherCustomerId: z.string({ error: "the id of the record to merge into this one" }).trim().min(1).max(100) }),
    z.object({
      action: z.literal("clearOverride"),
      ...base,
      scope: z.enum(["access", "tag"], { error: "access or tag" }),
      targetId: z.number({ error: "the access group or tag id the override is on (a number)" }).int().positive(),
    }),
  ],
  { error: (issue) => (issue.code === "invalid_union" ? `one of ${OVERRIDE_ACTIONS.join(", ")}` : undefined) },
);

export type OverrideRequest = z.infer<typeof overrideRequest>;
export type OverrideAction = OverrideRequest["action"];

/** A body's problems as one line: "reason: say why (3 to 500 characters)". */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

export type OverrideOutcome =
  | { ok: true; audit: AuditView; version: string }
  | { ok: false; status: 400 | 404 | 409; error: string; suggest?: { action: "merge"; otherCustomerId: string }; version?: string };

export interface OverrideDeps {
  db: Database;
  catalog: PlanCatalog;
}

/** Thrown inside the transaction to refuse: the rollback guarantees nothing is written. */
class Refusal extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
    readonly extra: Pick<Extract<OverrideOutcome, { ok: false }>, "suggest" | "version"> = {},
  ) {
    super(message);
  }
}

/** What an override changed, for its audit row. */
interface Change {
  before: unknown;
  after: unknown;
}

interface Context {
  tx: Session;
  catalog: PlanCatalog;
  customerId: string;
  actor: Actor;
  reason: string;
  now: Date;
  correlationId: string;
}

/** Applies one override for `actor` (authenticated by the caller), in one transaction. */
export async function applyOverride(deps: OverrideDeps, customerId: string, input: OverrideRequest, actor: Actor, now = new Date()): Promise<OverrideOutcome> {
  const invalid = checkTarget(deps.catalog, customerId, input);
  if (invalid) return { ok: false, status: 400, error: invalid };
  try {
    return await deps.db.transaction(async (tx) => {
      // The locks an event naming the same address or Stripe id takes first, then the records'.
      const identityLocks = identityLockKeys(input);
      if (identityLocks.length > 0) await store.lockKeys(tx, identityLocks);
      await store.lockKeys(tx, [customerId, ...(input.action === "merge" ? [input.otherCustomerId] : [])].map(store.customerLockKey));
      const subject = await readRecordSubject(tx, customerId);
      if (!subject) throw new Refusal(404, "no customer with that id");
      if (subject.mergedIntoId) throw new Refusal(409, `this record was merged into ${subject.mergedIntoId}: act on that one`);
      if (input.expectedVersion !== undefined && input.expectedVersion !== subject.version) {
        throw new Refusal(409, "the record changed since the form was loaded: reload it and try again", { version: subject.version });
      }
      const context: Context = { tx, catalog: deps.catalog, customerId, actor, reason: input.reason, now, correlationId: crypto.randomUUID() };
      const change = await perform(context, input);
      const audit = await writeAudit(tx, {
        actor,
        action: `override.${input.action}`,
        reason: input.reason,
        customerId,
        before: change.before,
        after: change.after,
        correlationId: context.correlationId,
      });
      const after = await readRecordSubject(tx, customerId);
      return { ok: true as const, audit: auditView(audit), version: after!.version };
    });
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, status: error.status, error: error.message, ...error.extra };
    throw error;
  }
}

/** What the body names that the catalog or the path already rule out (400). */
function checkTarget(catalog: PlanCatalog, customerId: string, input: OverrideRequest): string | null {
  switch (input.action) {
    case "grantAccess":
    case "revokeAccess":
      return catalogAccessGroupIds(catalog).has(input.accessGroupId) ? null : `accessGroupId: ${input.accessGroupId} is not an access group of the plan catalog`;
    case "addTag":
    case "removeTag":
      return catalogTagIds(catalog).has(input.tagId) ? null : `tagId: ${input.tagId} is not a tag of the plan catalog`;
    case "merge":
      return input.otherCustomerId === customerId ? "otherCustomerId: a record cannot be merged into itself" : null;
    default:
      return null;
  }
}

function identityLockKeys(input: OverrideRequest): string[] {
  if (input.action === "linkEmail") return [`email:${input.email}`];
  if (input.action === "linkStripeCustomer") return [refKey({ provider: "stripe", externalId: input.stripeCustomerId })];
  return [];
}

function perform(context: Context, input: OverrideRequest): Promise<Change> {
  switch (input.action) {
    case "grantAccess":
      return decide(context, "access", input.accessGroupId, "allow");
    case "revokeAccess":
      return decide(context, "access", input.accessGroupId, "deny");
    case "addTag":
      return decide(context, "tag", input.tagId, "allow");
    case "removeTag":
      return decide(context, "tag", input.tagId, "deny");
    case "endJourney":
      return endJourney(context, input.journeyId);
    case "resendInvite":
      return resendInvite(context);
    case "linkEmail":
      return linkEmail(context, input.email);
    case "linkStripeCustomer":
      return linkStripeCustomer(context, input.stripeCustomerId);
    case "merge":
      return merge(context, input.otherCustomerId);
    case "clearOverride":
      return clearDecision(context, input.scope, input.targetId);
  }
}

/** The jobs a re-derive enqueued, compactly: "circle.revoke 101 v3". */
const jobsOf = (intents: Intent[]) =>
  intents.map((intent) => `${intent.kind} ${"accessGroupId" in intent ? intent.accessGroupId : intent.tagId} v${intent.version}`);

const rederive = (context: Context, customerId = context.customerId): Promise<Rederived> =>
  rederiveRecord(context.tx, context.catalog, customerId, context.now, context.correlationId);

/** A row's state once the re-derive's intents are written (a grant goes pending, a revoke revoked, a tag pending). */
function stateAfter(scope: OverrideScope, targetId: number, before: AccessState | TagState | null, intents: Intent[]) {
  for (const intent of intents) {
    if (scope === "access" && "accessGroupId" in intent && intent.accessGroupId === targetId) return intent.kind === "circle.grant" ? "pending" : "revoked";
    if (scope === "tag" && "tagId" in intent && intent.tagId === targetId) return intent.kind === "kit.tag" ? "pending_add" : "pending_remove";
  }
  return before;
}

async function decide(context: Context, scope: OverrideScope, targetId: number, effect: OverrideEffect): Promise<Change> {
  const previous = await store.setOverride(context.tx, {
    customerId: context.customerId,
    scope,
    targetId,
    effect,
    reason: context.reason,
    actor: actorLabel(context.actor),
  });
  return rederivedChange(context, scope, targetId, previous, effect);
}

/** The record re-derived after an override on a group or tag changed (`effect` null: cleared), as the audit row's before and after. */
async function rederivedChange(context: Context, scope: OverrideScope, targetId: number, previous: OverrideEffect | null, effect: OverrideEffect | null): Promise<Change> {
  const { held, intents } = await rederive(context);
  const target = scope === "access" ? "accessGroupId" : "tagId";
  const rowBefore =
    (scope === "access" ? held.grants.find((grant) => grant.accessGroupId === targetId) : held.tags.find((tag) => tag.tagId === targetId))?.state ?? null;
  return {
    before: { [target]: targetId, override: previous, state: rowBefore },
    after: { [target]: targetId, override: effect, state: stateAfter(scope, targetId, rowBefore, intents), jobs: jobsOf(intents) },
  };
}

/** Takes a grant or revoke, an added or removed tag, back: the record follows its events again. */
async function clearDecision(context: Context, scope: OverrideScope, targetId: number): Promise<Change> {
  const previous = await store.clearOverride(context.tx, { customerId: context.customerId, scope, targetId });
  if (!previous) throw new Refusal(409, `no override on ${scope === "access" ? "access group" : "tag"} ${targetId} to clear`);
  return rederivedChange(context, scope, targetId, previous, null);
}

async function endJourney(context: Context, journeyId: string): Promise<Change> {
  const end = await store.endJourney(context.tx, context.customerId, journeyId, context.now);
  if (!end) throw new Refusal(404, "no journey with that id on this customer");
  if (!end.ended) throw new Refusal(409, `the journey ended already, at ${end.endedBefore?.toISOString()}`);
  const journey = { journeyId, kind: end.kind, key: end.key };
  return { before: { ...journey, endedAt: null }, after: { ...journey, endedAt: context.now.toISOString() } };
}

async function resendInvite(context: Context): Promise<Change> {
  const resend = await resendInvitesForAdmin(context.tx, context.customerId, context.now);
  if (resend.result === "nothing_to_resend") throw new Refusal(409, `nothing to resend: ${resend.reason}`);
  return {
    before: { grants: resend.before },
    after: { grants: resend.queued.map((grant) => ({ ...grant, state: "pending" })), jobs: resend.queued.map((grant) => `circle.grant ${grant.accessGroupId} v${grant.version}`) },
  };
}

const suggestMerge = (otherCustomerId: string) => ({ suggest: { action: "merge" as const, otherCustomerId } });

async function linkEmail(context: Context, email: string): Promise<Change> {
  const holders = await store.emailHolders(context.tx, email);
  if (holders.some((holder) => holder.customerId === context.customerId && holder.as === "primary")) throw new Refusal(409, "that is this customer's own email");
  // A merged record's address is linked to the record it was merged into already.
  const owners = new Set(holders.map((holder) => holder.mergedIntoId ?? holder.customerId));
  if (owners.has(context.customerId)) throw new Refusal(409, "that email is linked to this customer already");
  const [owner] = owners;
  if (owner) throw new Refusal(409, `${email} belongs to customer ${owner}: merge the two records instead`, suggestMerge(owner));
  await store.addEmailAlias(context.tx, context.customerId, email);
  const adopted = await adoptEventsNaming(context.tx, context.customerId, email);
  const { intents } = await rederive(context);
  return { before: { email, linkedTo: null }, after: { email, linkedTo: context.customerId, adoptedEvents: adopted.length, jobs: jobsOf(intents) } };
}

async function linkStripeCustomer(context: Context, stripeCustomerId: string): Promise<Change> {
  const ref: ExternalId = { provider: "stripe", externalId: stripeCustomerId };
  const holder = await store.externalIdHolder(context.tx, ref);
  if (holder === context.customerId) throw new Refusal(409, "that Stripe customer is linked to this customer already");
  if (holder) throw new Refusal(409, `${stripeCustomerId} belongs to customer ${holder}: merge the two records instead`, suggestMerge(holder));
  const adopted = await linkAndAdopt(context.tx, context.customerId, [ref]);
  const { intents } = await rederive(context);
  return {
    before: { stripeCustomerId, linkedTo: null },
    after: { stripeCustomerId, linkedTo: context.customerId, adoptedEvents: adopted.length, jobs: jobsOf(intents) },
  };
}

/** What a record held, compactly, for a merge's audit row. */
const heldSummary = (held: Rederived["held"]) => ({
  email: held.customer.email,
  entitlements: held.entitlements.map(({ sourceId, planKey, status }) => ({ sourceId, planKey, status })),
  access: held.grants.map(({ accessGroupId, state }) => ({ accessGroupId, state })),
  tags: held.tags.map(({ tagId, state }) => ({ tagId, state })),
});

async function merge(context: Context, otherCustomerId: string): Promise<Change> {
  const other = await readRecordSubject(context.tx, otherCustomerId);
  if (!other) throw new Refusal(404, "no customer with the id to merge");
  if (other.mergedIntoId) throw new Refusal(409, `that record was merged into ${other.mergedIntoId} already`);
  const moved = {
    ...(await store.mergeInto(context.tx, otherCustomerId, context.customerId)),
    tickets: await moveTickets(context.tx, otherCustomerId, context.customerId),
    conversations: await moveConversations(context.tx, otherCustomerId, context.customerId),
  };
  // The other first: left with no history, it derives nothing, and what it holds is taken away.
  const otherSide = await rederive(context, otherCustomerId);
  const thisSide = await rederive(context);
  return {
    before: { this: heldSummary(thisSide.held), other: { id: otherCustomerId, ...heldSummary(otherSide.held) } },
    after: {
      mergedFrom: otherCustomerId,
      moved,
      jobs: { this: jobsOf(thisSide.intents), other: jobsOf(otherSide.intents) },
    },
  };
}

// ---- HTTP: the routes' functions ----

/**
 * POST /api/admin/customers/{id}/overrides with `{ action, reason, ...}` (see `overrideRequest`):
 * 202 `{ audit, version }`; 400 `{ error: "reason: ..." }` for a bad body; 401 unauthenticated;
 * 404 unknown customer (or journey); 409 stale form (with the current `version`), a merged
 * record, or a conflict (with `suggest: { action: "merge", otherCustomerId }` when the address or
 * Stripe id belongs to another record). The actor is the authenticated one, whatever the body says.
 */
export async function postOverride(request: Request, deps: GuardDeps & OverrideDeps, customerId: string): Promise<Response> {
  const auth = await authorizeAdmin(request, deps);
  if (!auth.ok) return auth.response;
  const parsed = await readJsonBody(request, overrideRequest, { describe: describeIssues });
  if (!parsed.ok) return parsed.response;
  const outcome = await applyOverride(deps, customerId, parsed.data, auth.actor);
  if (!outcome.ok) {
    const { error, suggest, version } = outcome;
    return json(outcome.status, { error, ...(suggest ? { suggest } : {}), ...(version ? { version } : {}) });
  }
  return json(202, { audit: outcome.audit, version: outcome.version });
}

const auditQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) });

/** GET /api/admin/customers/{id}/audit[?limit=]: `{ customerId, audit: [{ id, actor, action, reason, before, after, at }] }`, newest first. */
export async function getAuditTrail(request: Request, deps: GuardDeps, customerId: string): Promise<Response> {
  const query = await authorizedQuery(request, deps, auditQuery, describeIssues);
  if (!query.ok) return query.response;
  if (!(await readRecordSubject(deps.db, customerId))) return rejection(404, "no customer with that id");
  const rows = await readAuditTrail(deps.db, customerId, query.data.limit);
  return json(200, { customerId, audit: rows.map(auditView) });
}
