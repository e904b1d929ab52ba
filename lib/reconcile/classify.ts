import type { AccessState, EmailStatus, EntitlementStatus, TagState } from "../lifecycle/states";

// Pure: what the record holds (a snapshot) against what each provider holds (a snapshot) -> the
// drift between them. No I/O, no clock. The record already carries an admin's overrides (a
// revoke override leaves the grant revoked, a comp leaves it active), so comparing providers
// with the record's grants and tags never undoes a deliberate admin action: a banned member
// missing from Circle is what the record wants, not "paid but no access".

export const DRIFT_KINDS = [
  "paid_no_access",
  "access_not_paid",
  "invitation_accepted",
  "unknown_member",
  "tag_missing",
  "tag_extra",
  "subscription_no_entitlement",
  "entitlement_no_subscription",
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export const RECONCILE_PROVIDERS = ["circle", "kit", "stripe"] as const;
export type ReconcileProvider = (typeof RECONCILE_PROVIDERS)[number];

export const DRIFT_PROVIDER: Record<DriftKind, ReconcileProvider> = {
  paid_no_access: "circle",
  access_not_paid: "circle",
  invitation_accepted: "circle",
  unknown_member: "circle",
  tag_missing: "kit",
  tag_extra: "kit",
  subscription_no_entitlement: "stripe",
  entitlement_no_subscription: "stripe",
};

export type DriftTarget =
  | { type: "access_group"; accessGroupId: number; circleMemberId: number | null }
  | { type: "tag"; tagId: number; subscriberId: number | null }
  | { type: "subscription"; subscriptionId: string; stripeCustomerId: string | null };

export interface Drift {
  kind: DriftKind;
  /** Null when the provider holds someone the record does not know. */
  customerId: string | null;
  target: DriftTarget;
  /** An admin's deny override holds for this target (the record's ban): never a reason to grant. */
  banned: boolean;
}

/** A stable key per drift: one notice per drift, however many runs see it. */
export function driftKey(drift: Drift): string {
  const target = drift.target;
  const where =
    target.type === "access_group"
      ? `group:${target.accessGroupId}:member:${target.circleMemberId ?? "-"}`
      : target.type === "tag"
        ? `tag:${target.tagId}`
        : `sub:${target.subscriptionId}`;
  return `${drift.kind}:${drift.customerId ?? "unknown"}:${where}`;
}

// ---- the record's side ----

export interface GrantSnapshot {
  customerId: string;
  accessGroupId: number;
  state: AccessState;
  circleMemberId: number | null;
}

export interface TagSnapshot {
  customerId: string;
  tagId: number;
  state: TagState;
}

export interface EntitlementSnapshot {
  customerId: string;
  sourceId: string;
  status: EntitlementStatus;
}

export interface RecordSnapshot {
  grants: GrantSnapshot[];
  tags: TagSnapshot[];
  entitlements: EntitlementSnapshot[];
  /** Circle member id -> customer id (ExternalRef). */
  circleMembers: ReadonlyMap<number, string>;
  /** Kit subscriber id -> customer id (ExternalRef). */
  kitSubscribers: ReadonlyMap<number, string>;
  /** Normalised email -> customer id, for Kit subscribers never linked. */
  customerByEmail: ReadonlyMap<string, string>;
  emailStatus: ReadonlyMap<string, EmailStatus>;
  /** Stripe customer id -> customer id. */
  stripeCustomers: ReadonlyMap<string, string>;
  /** `${customerId}:${accessGroupId}` and `${customerId}:tag:${tagId}` held by a deny override. */
  denied: ReadonlySet<string>;
}

export const deniedAccessKey = (customerId: string, accessGroupId: number) => `${customerId}:${accessGroupId}`;
export const deniedTagKey = (customerId: string, tagId: number) => `${customerId}:tag:${tagId}`;

// ---- the providers' side ----

export interface CircleSnapshot {
  /** Access group id -> the member ids Circle lists in it (every mapped group read whole). */
  groups: ReadonlyMap<number, readonly number[]>;
  /** Members whose invitation Circle shows accepted, among those the record holds invited. */
  accepted: ReadonlySet<number>;
}

export interface KitTagMember {
  subscriberId: number;
  email: string;
  /** Kit's subscriber state: active, cancelled (unsubscribed), bounced, complained, inactive. */
  state: string;
}

export interface KitSnapshot {
  /** Tag id -> the subscribers Kit lists with it (every mapped tag read whole). */
  tags: ReadonlyMap<number, readonly KitTagMember[]>;
}

export interface StripeSubscriptionSummary {
  id: string;
  stripeCustomerId: string;
  status: string;
}

export interface StripeSnapshot {
  /** Every active, past-due and trialing subscription, all pages read. */
  subscriptions: readonly StripeSubscriptionSummary[];
}

/** Grants the record says Circle has carried out. */
const IN_CIRCLE: ReadonlySet<AccessState> = new Set(["invited", "active"]);
/** Grants whose decision is still on its way (the outbox's business, not drift). */
const IN_FLIGHT: ReadonlySet<AccessState> = new Set(["pending", "failed"]);

export function classifyCircle(record: RecordSnapshot, circle: CircleSnapshot): Drift[] {
  const drift: Drift[] = [];
  for (const [accessGroupId, memberIds] of circle.groups) {
    const inGroup = new Set(memberIds);
    const grants = record.grants.filter((grant) => grant.accessGroupId === accessGroupId);
    const grantByMember = new Map<number, GrantSnapshot>();
    const grantByCustomer = new Map<string, GrantSnapshot>();
    for (const grant of grants) {
      grantByCustomer.set(grant.customerId, grant);
      if (grant.circleMemberId !== null) grantByMember.set(grant.circleMemberId, grant);
    }
    for (const grant of grants) {
      if (!IN_CIRCLE.has(grant.state) || grant.circleMemberId === null) continue;
      const banned = record.denied.has(deniedAccessKey(grant.customerId, accessGroupId));
      const target = { type: "access_group" as const, accessGroupId, circleMemberId: grant.circleMemberId };
      if (!inGroup.has(grant.circleMemberId)) drift.push({ kind: "paid_no_access", customerId: grant.customerId, target, banned });
      else if (grant.state === "invited" && circle.accepted.has(grant.circleMemberId)) {
        drift.push({ kind: "invitation_accepted", customerId: grant.customerId, target, banned });
      }
    }
    for (const memberId of inGroup) {
      const customerId = grantByMember.get(memberId)?.customerId ?? record.circleMembers.get(memberId) ?? null;
      const target = { type: "access_group" as const, accessGroupId, circleMemberId: memberId };
      if (customerId === null) {
        drift.push({ kind: "unknown_member", customerId: null, target, banned: false });
        continue;
      }
      const grant = grantByCustomer.get(customerId);
      if (grant && (IN_CIRCLE.has(grant.state) || IN_FLIGHT.has(grant.state))) continue;
      drift.push({ kind: "access_not_paid", customerId, target, banned: record.denied.has(deniedAccessKey(customerId, accessGroupId)) });
    }
  }
  return drift;
}

/** Tags the record says Kit holds, and tags it says Kit does not. In-flight states are the outbox's. */
const TAG_HELD: ReadonlySet<TagState> = new Set(["applied"]);
const TAG_NOT_HELD: ReadonlySet<TagState> = new Set(["removed"]);

export function classifyKit(record: RecordSnapshot, kit: KitSnapshot): Drift[] {
  const drift: Drift[] = [];
  for (const [tagId, members] of kit.tags) {
    const tagged = new Map<string, KitTagMember>();
    const customerOf = (member: KitTagMember) => record.kitSubscribers.get(member.subscriberId) ?? record.customerByEmail.get(member.email.trim().toLowerCase()) ?? null;
    for (const member of members) {
      const customerId = customerOf(member);
      if (customerId !== null) tagged.set(customerId, member);
    }
    const rows = new Map(record.tags.filter((tag) => tag.tagId === tagId).map((tag) => [tag.customerId, tag]));
    for (const row of rows.values()) {
      if (!TAG_HELD.has(row.state) || tagged.has(row.customerId)) continue;
      // Tagging someone who left the list would subscribe them again: never drift to repair.
      if (record.emailStatus.get(row.customerId) !== "active") continue;
      drift.push({
        kind: "tag_missing",
        customerId: row.customerId,
        target: { type: "tag", tagId, subscriberId: null },
        banned: record.denied.has(deniedTagKey(row.customerId, tagId)),
      });
    }
    for (const [customerId, member] of tagged) {
      const row = rows.get(customerId);
      if (row && !TAG_NOT_HELD.has(row.state)) continue;
      // A tag on an unsubscribed subscriber reaches nobody: not worth a request.
      if (member.state !== "active") continue;
      drift.push({
        kind: "tag_extra",
        customerId,
        target: { type: "tag", tagId, subscriberId: member.subscriberId },
        banned: record.denied.has(deniedTagKey(customerId, tagId)),
      });
    }
  }
  return drift;
}

/** Entitlements the record holds as running: Stripe must list their subscription as running too. */
const RUNNING: ReadonlySet<EntitlementStatus> = new Set(["active", "past_due", "trialing"]);

export function classifyStripe(record: RecordSnapshot, stripe: StripeSnapshot): Drift[] {
  const drift: Drift[] = [];
  const entitlementBySource = new Map(record.entitlements.map((entitlement) => [entitlement.sourceId, entitlement]));
  const listed = new Set(stripe.subscriptions.map((subscription) => subscription.id));
  for (const subscription of stripe.subscriptions) {
    if (entitlementBySource.has(subscription.id)) continue;
    drift.push({
      kind: "subscription_no_entitlement",
      customerId: record.stripeCustomers.get(subscription.stripeCustomerId) ?? null,
      target: { type: "subscription", subscriptionId: subscription.id, stripeCustomerId: subscription.stripeCustomerId },
      banned: false,
    });
  }
  for (const entitlement of record.entitlements) {
    // One-off purchases (checkout sessions) have no subscription to list.
    if (!entitlement.sourceId.startsWith("sub_") || !RUNNING.has(entitlement.status) || listed.has(entitlement.sourceId)) continue;
    drift.push({
      kind: "entitlement_no_subscription",
      customerId: entitlement.customerId,
      target: { type: "subscription", subscriptionId: entitlement.sourceId, stripeCustomerId: null },
      banned: false,
    });
  }
  return drift;
}

/** Counts per kind, every kind present (zero when none). */
export function countByKind(drift: readonly Drift[]): Record<DriftKind, number> {
  const counts = Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, 0])) as Record<DriftKind, number>;
  for (const item of drift) counts[item.kind]++;
  return counts;
}
