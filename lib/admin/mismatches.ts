import { catalogAccessGroupIds, catalogTagIds, managedTagIds, type PlanCatalog } from "../lifecycle/catalog";
import type { AccessState, EmailStatus, EntitlementStatus, OverrideEffect, OverrideScope, TagState } from "../lifecycle/states";

// Pure. What the customer view judges from the rows it read: whether an entitlement holds access
// now, the record's status in one line, and every place where one system disagrees with what the
// customer paid for (the mismatches the console marks), each with a plain explanation and the
// fix a support person can apply.

/**
 * Work younger than this is still on its way, not a mismatch: a grant or tag row pending (or an
 * entitlement whose access ended) less than ten minutes ago. A healthy grant takes well under a
 * second; against a failing provider the outbox's eight attempts back off from 1 s, doubling
 * (capped at 10 min), so a job still retrying after ten minutes is one a person should look at.
 */
export const PENDING_GRACE_MS = 10 * 60_000;

export interface EntitlementFacts {
  planKey: string;
  status: EntitlementStatus;
  accessUntil: Date | null;
  graceUntil: Date | null;
}

export interface GrantFacts {
  accessGroupId: number;
  state: AccessState;
  lastError: string | null;
  /** When the row last changed (a pending row: when it was queued). */
  updatedAt: Date;
}

export interface TagFacts {
  tagId: number;
  state: TagState;
  /** What Kit was last seen holding (a Kit webhook), null if never seen. */
  presentInKit: boolean | null;
  observedAt: Date | null;
  /** Our last call to Kit for this tag that went through. */
  syncedAt: Date | null;
  lastError: string | null;
  updatedAt: Date;
}

export interface OverrideFacts {
  scope: OverrideScope;
  targetId: number;
  effect: OverrideEffect;
}

export interface MismatchInput {
  now: Date;
  catalog: PlanCatalog;
  emailStatus: EmailStatus;
  entitlements: EntitlementFacts[];
  grants: GrantFacts[];
  tags: TagFacts[];
  overrides: OverrideFacts[];
}

export type MismatchKind = "paid_no_access" | "access_not_paid" | "tag_missing" | "tag_extra" | "unsubscribed_tagged";

export interface Mismatch {
  kind: MismatchKind;
  /** The Circle access group it is about, or null. */
  accessGroupId: number | null;
  /** The Kit tag it is about, or null. */
  tagId: number | null;
  explanation: string;
  fix: string;
}

/** Whether an entitlement row grants access at `now`: active, trialing, past due within grace, canceled before period end. */
export function hasAccessNow(entitlement: EntitlementFacts, now: Date): boolean {
  switch (entitlement.status) {
    case "active":
    case "trialing":
      return true;
    case "past_due":
      return entitlement.graceUntil === null || now < entitlement.graceUntil;
    case "canceled":
      return entitlement.accessUntil === null || now < entitlement.accessUntil;
    case "refunded":
    case "expired":
      return false;
  }
}

/** An entitlement whose access ended less than PENDING_GRACE_MS ago: the record may not have caught up yet. */
function endedRecently(entitlement: EntitlementFacts, now: Date): boolean {
  if (hasAccessNow(entitlement, now)) return false;
  const end = entitlement.status === "past_due" ? entitlement.graceUntil : entitlement.status === "canceled" ? entitlement.accessUntil : null;
  return end !== null && now.getTime() - end.getTime() < PENDING_GRACE_MS;
}

const STATUS_RANK: readonly EntitlementStatus[] = ["active", "trialing", "past_due", "canceled", "refunded", "expired"];

export interface RecordSummary {
  /** The most favourable status of the customer's entitlements; "none" without any. */
  status: EntitlementStatus | "none";
  hasAccess: boolean;
  plans: string[];
  /** Until when access lasts: null without access or when one entitlement has no end (a one-time purchase). */
  accessUntil: Date | null;
  /** The earliest end of a grace window the customer is in, if any. */
  graceUntil: Date | null;
}

export function recordSummary(entitlements: EntitlementFacts[], now: Date): RecordSummary {
  const withAccess = entitlements.filter((entitlement) => hasAccessNow(entitlement, now));
  const status = STATUS_RANK.find((candidate) => entitlements.some((entitlement) => entitlement.status === candidate)) ?? "none";
  const ends = withAccess.map((entitlement) => (entitlement.status === "past_due" ? entitlement.graceUntil : entitlement.accessUntil));
  const accessUntil = ends.length === 0 || ends.includes(null) ? null : new Date(Math.max(...ends.map((end) => end!.getTime())));
  const graces = withAccess.flatMap((entitlement) => (entitlement.status === "past_due" && entitlement.graceUntil ? [entitlement.graceUntil.getTime()] : []));
  return {
    status,
    hasAccess: withAccess.length > 0,
    plans: [...new Set(entitlements.map((entitlement) => entitlement.planKey))],
    accessUntil,
    graceUntil: graces.length === 0 ? null : new Date(Math.min(...graces)),
  };
}

interface Wanted {
  /** Groups a plan with access grants. */
  entitledGroups: Set<number>;
  /** Managed tags the entitlements' statuses call for. */
  tags: Set<number>;
  /** Groups and tags of entitlements whose access ended within the grace: not judged yet. */
  settlingGroups: Set<number>;
  settlingTags: Set<number>;
  /** Tags a plan holds while the customer has access. */
  paidTags: Set<number>;
}

/** What the customer's entitlements call for, as the lifecycle derives it (lib/lifecycle/derive.ts), from the stored rows. */
function wantedBy(entitlements: EntitlementFacts[], catalog: PlanCatalog, now: Date): Wanted {
  const managed = managedTagIds(catalog);
  const wanted: Wanted = { entitledGroups: new Set(), tags: new Set(), settlingGroups: new Set(), settlingTags: new Set(), paidTags: new Set() };
  for (const plan of catalog.plans) plan.kitTagIds.active.forEach((id) => wanted.paidTags.add(id));
  for (const entitlement of entitlements) {
    const plan = catalog.plans.find((candidate) => candidate.key === entitlement.planKey);
    if (!plan) continue;
    const tags = plan.kitTagIds;
    if (hasAccessNow(entitlement, now)) {
      plan.circleAccessGroupIds.forEach((id) => wanted.entitledGroups.add(id));
      tags.active.forEach((id) => wanted.tags.add(id));
    } else if (endedRecently(entitlement, now)) {
      plan.circleAccessGroupIds.forEach((id) => wanted.settlingGroups.add(id));
      [...tags.active, ...tags.canceled, ...tags.pastDue].forEach((id) => wanted.settlingTags.add(id));
    }
    if (entitlement.status === "past_due") tags.pastDue.forEach((id) => wanted.tags.add(id));
    if (entitlement.status === "canceled" || entitlement.status === "expired") tags.canceled.forEach((id) => wanted.tags.add(id));
    if (entitlement.status === "refunded") tags.refunded.forEach((id) => wanted.tags.add(id));
  }
  for (const id of wanted.tags) if (!managed.has(id)) wanted.tags.delete(id);
  return wanted;
}

const minutesSince = (at: Date, now: Date) => Math.max(0, Math.round((now.getTime() - at.getTime()) / 60_000));
const young = (at: Date, now: Date) => now.getTime() - at.getTime() < PENDING_GRACE_MS;
/** Kit was seen at or after our last successful call for the tag: the observation is the newer truth. */
const seenSinceSync = (tag: TagFacts) => tag.observedAt !== null && (tag.syncedAt === null || tag.observedAt >= tag.syncedAt);
const errorText = (lastError: string | null) => (lastError ? `: ${lastError}` : "");

function accessMismatches(input: MismatchInput, wanted: Wanted, overrides: Map<string, OverrideFacts["effect"]>): Mismatch[] {
  const { now } = input;
  const found: Mismatch[] = [];
  const grants = new Map(input.grants.map((grant) => [grant.accessGroupId, grant]));
  const allowed = new Set(input.overrides.filter((o) => o.scope === "access" && o.effect === "allow").map((o) => o.targetId));
  const groups = [...new Set([...wanted.entitledGroups, ...allowed, ...grants.keys()])].sort((a, b) => a - b);
  for (const accessGroupId of groups) {
    const override = overrides.get(`access:${accessGroupId}`);
    const grant = grants.get(accessGroupId);
    const entitled = wanted.entitledGroups.has(accessGroupId);
    const shouldHold = override === "allow" || (entitled && override !== "deny");
    const holds = grant?.state === "invited" || grant?.state === "active";
    const base = { accessGroupId, tagId: null };
    const why = override === "allow" ? "an admin granted access to this group (override)" : "the customer's plan grants this group";
    if (shouldHold && !holds) {
      if (!grant) {
        found.push({ ...base, kind: "paid_no_access", explanation: `${why}, but no access was ever recorded for it`, fix: "grant access" });
      } else if (grant.state === "pending") {
        if (young(grant.updatedAt, now)) continue;
        found.push({
          ...base,
          kind: "paid_no_access",
          explanation: `${why}, but access has been pending for ${minutesSince(grant.updatedAt, now)} minutes (the grant job is still queued or retrying)`,
          fix: "check the dead letters and the queue, then resend the invite",
        });
      } else if (grant.state === "failed") {
        found.push({
          ...base,
          kind: "paid_no_access",
          explanation: `${why}, but granting access in Circle failed${errorText(grant.lastError)}`,
          fix: "replay the dead grant job once Circle is fine, or resend the invite",
        });
      } else {
        found.push({ ...base, kind: "paid_no_access", explanation: `${why}, but access was revoked`, fix: "resend the invite (grant access again)" });
      }
    } else if (!shouldHold && holds) {
      if (override === "deny") {
        found.push({
          ...base,
          kind: "access_not_paid",
          explanation: `an admin revoked access to this group (override), but the record still shows it ${grant.state} in Circle`,
          fix: "revoke access again and check the dead letters",
        });
      } else if (!wanted.settlingGroups.has(accessGroupId)) {
        found.push({
          ...base,
          kind: "access_not_paid",
          explanation: `access is ${grant.state} in Circle, but no paid plan grants this group`,
          fix: "revoke access (or grant it on purpose with an override)",
        });
      }
    }
  }
  return found;
}

function tagMismatches(input: MismatchInput, wanted: Wanted, overrides: Map<string, OverrideFacts["effect"]>): Mismatch[] {
  const { now } = input;
  const found: Mismatch[] = [];
  const managed = managedTagIds(input.catalog);
  const rows = new Map(input.tags.map((tag) => [tag.tagId, tag]));
  // Managed tags, and any tag an admin decided about (an onboarding or promotional tag included).
  const decided = input.overrides.filter((o) => o.scope === "tag").map((o) => o.targetId);
  const tagIds = [...new Set([...managed, ...decided])].sort((a, b) => a - b);
  for (const tagId of tagIds) {
    const override = overrides.get(`tag:${tagId}`);
    const tag = rows.get(tagId);
    const shouldHold = override === "allow" || (wanted.tags.has(tagId) && override !== "deny");
    const base = { accessGroupId: null, tagId };
    const why = override === "allow" ? "an admin added this tag (override)" : "the customer's plan status calls for this tag";
    if (shouldHold) {
      const missing = missingTag(tag, now);
      if (missing) found.push({ ...base, kind: "tag_missing", explanation: `${why}, but ${missing.what}`, fix: missing.fix });
      continue;
    }
    if (!tag || wanted.settlingTags.has(tagId)) continue;
    const extra = extraTag(tag, now);
    if (extra) {
      const whyNot = override === "deny" ? "an admin removed this tag (override)" : "the record does not want this tag";
      found.push({ ...base, kind: "tag_extra", explanation: `${whyNot}, but ${extra.what}`, fix: extra.fix });
    }
  }
  return found;
}

function missingTag(tag: TagFacts | undefined, now: Date): { what: string; fix: string } | null {
  if (!tag) return { what: "the record never tagged the customer", fix: "add the tag" };
  switch (tag.state) {
    case "applied":
      return tag.presentInKit === false && seenSinceSync(tag)
        ? { what: `Kit was seen without it on ${tag.observedAt!.toISOString()} (removed by hand in Kit?)`, fix: "add the tag again" }
        : null;
    case "pending_add":
      return young(tag.updatedAt, now)
        ? null
        : { what: `adding it has been pending for ${minutesSince(tag.updatedAt, now)} minutes`, fix: "check the dead letters and the queue" };
    case "failed":
      return { what: `adding it in Kit failed${errorText(tag.lastError)}`, fix: "replay the dead tag job once Kit is fine, or add the tag" };
    case "pending_remove":
    case "removed":
      return young(tag.updatedAt, now) ? null : { what: "the record took it off", fix: "add the tag" };
  }
}

function extraTag(tag: TagFacts, now: Date): { what: string; fix: string } | null {
  if (tag.presentInKit === true && seenSinceSync(tag)) {
    return { what: `Kit was seen holding it on ${tag.observedAt!.toISOString()}`, fix: "remove the tag" };
  }
  switch (tag.state) {
    case "applied":
      return tag.presentInKit === false && seenSinceSync(tag) ? null : { what: "the record still holds it as applied in Kit", fix: "remove the tag" };
    case "failed":
      return { what: `removing it in Kit failed${errorText(tag.lastError)}`, fix: "replay the dead untag job once Kit is fine, or remove the tag" };
    case "pending_remove":
      return young(tag.updatedAt, now)
        ? null
        : { what: `removing it has been pending for ${minutesSince(tag.updatedAt, now)} minutes`, fix: "check the dead letters and the queue" };
    case "pending_add":
    case "removed":
      return null;
  }
}

function unsubscribedMismatches(input: MismatchInput, wanted: Wanted): Mismatch[] {
  if (input.emailStatus === "active") return [];
  return input.tags
    .filter((tag) => wanted.paidTags.has(tag.tagId) && tag.state === "applied" && !(tag.presentInKit === false && seenSinceSync(tag)))
    .sort((a, b) => a.tagId - b.tagId)
    .map((tag) => ({
      kind: "unsubscribed_tagged" as const,
      accessGroupId: null,
      tagId: tag.tagId,
      explanation: `the customer's email is ${input.emailStatus} in Kit, but they still carry the paid tag: sequences it starts will not reach them`,
      fix: "ask the customer which address to use (link it), or remove the paid tag if they asked for no email",
    }));
}

/** Every mismatch in the customer's record, access first, then tags, in group and tag order. */
export function findMismatches(input: MismatchInput): Mismatch[] {
  const wanted = wantedBy(input.entitlements, input.catalog, input.now);
  // As derivation does, overrides of groups and tags the catalog no longer names are ignored.
  const groups = catalogAccessGroupIds(input.catalog);
  const tags = catalogTagIds(input.catalog);
  const standing = input.overrides.filter((override) => (override.scope === "access" ? groups : tags).has(override.targetId));
  const judged = { ...input, overrides: standing };
  const overrides = new Map(standing.map((override) => [`${override.scope}:${override.targetId}`, override.effect]));
  return [...accessMismatches(judged, wanted, overrides), ...tagMismatches(judged, wanted, overrides), ...unsubscribedMismatches(judged, wanted)];
}
