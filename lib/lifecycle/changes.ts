import type { DerivedEntitlement, DesiredState } from "./derive";
import type { CustomerFacts } from "./fold";
import type { HeldGrant, HeldTag, Intent } from "./intents";
import type { AccessState, EmailStatus, EntitlementStatus, JourneyKind, TagState } from "./states";

// Pure. What a fold changes in the record: the rows that differ from what is held (most events
// leave most of the record as it was), the grant and tag rows the new intents move on, and
// what Kit was seen to hold. The record's store writes exactly this.

export interface HeldEntitlement {
  sourceId: string;
  planKey: string;
  status: EntitlementStatus;
  cancelAtPeriodEnd: boolean;
  lastPaymentStatus: string | null;
  /** Times as epoch milliseconds. */
  accessUntil: number | null;
  graceUntil: number | null;
  lastPaymentAt: number | null;
  lastEventAt: number;
}

export interface HeldJourney {
  kind: JourneyKind;
  key: string;
  startedAt: number;
  endedAt: number | null;
}

/** The record as the store holds it, for comparison with what it should be. */
export interface HeldRecord {
  customer: { email: string; emailStatus: EmailStatus };
  entitlements: HeldEntitlement[];
  journeys: HeldJourney[];
  grants: HeldGrant[];
  tags: HeldTag[];
}

/** An entitlement row as written: what derivation says, less what is computed on every read. */
export type EntitlementChange = Omit<DerivedEntitlement, "hasAccess">;

export interface RecordChanges {
  entitlements: EntitlementChange[];
  /** An audit entry for each entitlement whose plan or status changed. */
  audits: Array<{ before: { planKey: string; status: EntitlementStatus } | null; after: { planKey: string; status: EntitlementStatus; sourceId: string } }>;
  journeys: Array<{ kind: JourneyKind; key: string; startedAt: Date; endedAt: Date | null }>;
  /** Present only when it changed. */
  emailStatus?: EmailStatus;
  grants: Array<{ accessGroupId: number; state: AccessState; version: number }>;
  tags: Array<{ tagId: number; state: TagState; version: number; presentInKit: boolean | null; observedAt: Date | null }>;
  /** What Kit was seen to hold, on tag rows no intent moves. */
  observed: Array<{ tagId: number; presentInKit: boolean; observedAt: Date }>;
}

const sameTime = (held: number | null, wanted: Date | null) => held === (wanted?.getTime() ?? null);

export function planRecordChanges(
  held: HeldRecord,
  desired: DesiredState,
  facts: Pick<CustomerFacts, "emailStatus" | "kitTagsObserved">,
  intents: Intent[],
): RecordChanges {
  // Rows are keyed by their unique columns so one write never upserts a row twice: a later
  // change of the same row wins, as it would in a sequence of upserts.
  const entitlements = new Map<string, EntitlementChange>();
  const audits: RecordChanges["audits"] = [];
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
      accessUntil: entitlement.accessUntil,
      graceUntil: entitlement.graceUntil,
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
      lastPaymentAt: entitlement.lastPaymentAt,
      lastPaymentStatus: entitlement.lastPaymentStatus,
      lastEventAt: entitlement.lastEventAt,
    });
    if (before?.status !== entitlement.status || before?.planKey !== entitlement.planKey) {
      audits.push({
        before: before ? { planKey: before.planKey, status: before.status } : null,
        after: { planKey: entitlement.planKey, status: entitlement.status, sourceId: entitlement.sourceId },
      });
    }
  }
  const journeys = new Map<string, RecordChanges["journeys"][number]>();
  for (const journey of desired.journeys) {
    const row = held.journeys.find((candidate) => candidate.kind === journey.kind && candidate.key === journey.key);
    if (row && sameTime(row.startedAt, journey.startedAt) && sameTime(row.endedAt, journey.endedAt)) continue;
    journeys.set(`${journey.kind}:${journey.key}`, { kind: journey.kind, key: journey.key, startedAt: journey.startedAt, endedAt: journey.endedAt });
  }

  // Likewise one row per group or tag: a later intent for the same row supersedes an earlier one.
  const grants = new Map<number, RecordChanges["grants"][number]>();
  const tags = new Map<number, RecordChanges["tags"][number]>();
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
        observedAt: seen?.at ?? null,
      });
    }
  }
  // What an earlier point of the history called for and the whole history does not, never
  // held (its events came out of order, or together): the row an in-order delivery would have
  // left, revoked or removed, at version 0 since no job ever acted on it.
  const heldGrants = new Set(held.grants.map((grant) => grant.accessGroupId));
  for (const accessGroupId of desired.released?.accessGroupIds ?? []) {
    if (!heldGrants.has(accessGroupId) && !grants.has(accessGroupId)) grants.set(accessGroupId, { accessGroupId, state: "revoked", version: 0 });
  }
  const heldTags = new Set(held.tags.map((tag) => tag.tagId));
  for (const tagId of desired.released?.tagIds ?? []) {
    if (heldTags.has(tagId) || tags.has(tagId)) continue;
    const seen = facts.kitTagsObserved.get(tagId);
    tags.set(tagId, { tagId, state: "removed", version: 0, presentInKit: seen?.present ?? null, observedAt: seen?.at ?? null });
  }
  const observed = [...facts.kitTagsObserved]
    .filter(([tagId]) => !tags.has(tagId))
    .map(([tagId, seen]) => ({ tagId, presentInKit: seen.present, observedAt: seen.at }));

  return {
    entitlements: [...entitlements.values()],
    audits,
    journeys: [...journeys.values()],
    ...(held.customer.emailStatus === facts.emailStatus ? {} : { emailStatus: facts.emailStatus }),
    grants: [...grants.values()],
    tags: [...tags.values()],
    observed,
  };
}
