import type { EntitlementStatus, JourneyKind } from "./states";
import { catalogAccessGroupIds, catalogTagIds, managedTagIds, type PlanCatalog } from "./catalog";
import type { CanonicalEvent } from "./events";
import { compareEvents, foldEvents, type CustomerFacts, type SourceFacts } from "./fold";
import { journeyKey, NO_OVERRIDES, type Overrides } from "./overrides";

// Pure. What the record should say at `now`, given the customer's facts and an admin's
// standing overrides: entitlements, the Circle access groups and Kit tags they imply, the
// journeys, and when time alone will next change something (end of a grace window, end of a
// paid period).

export interface DerivedEntitlement {
  sourceId: string;
  planKey: string;
  status: EntitlementStatus;
  hasAccess: boolean;
  accessUntil: Date | null;
  graceUntil: Date | null;
  cancelAtPeriodEnd: boolean;
  lastPaymentAt: Date | null;
  lastPaymentStatus: string | null;
  lastEventAt: Date;
}

export interface DerivedJourney {
  kind: JourneyKind;
  key: string;
  startedAt: Date;
  endedAt: Date | null;
}

export interface DesiredState {
  entitlements: DerivedEntitlement[];
  accessGroupIds: Set<number>;
  tagsWanted: Set<number>;
  /** Tags to take off if we hold them. */
  tagsUnwanted: Set<number>;
  /** Tags to take off whoever put them there (promotions after a refund or dispute). */
  tagsSuppressed: Set<number>;
  journeys: DerivedJourney[];
  nextCheckAt: Date | null;
  /** Failed-payment episodes whose retry window ended unpaid: each needs a billing ticket. */
  unpaidAfterGrace: Array<{ journeyKey: string; planKey: string; graceUntil: Date }>;
  /**
   * Access groups and tags an earlier point of the history called for and the whole history no
   * longer does (deriveFromHistory): their rows read revoked / removed, whichever order the
   * events came in. Absent when derived from facts alone.
   */
  released?: { accessGroupIds: ReadonlySet<number>; tagIds: ReadonlySet<number> };
}

/** What earlier points of a customer's history called for (deriveFromHistory). */
export interface PastDemands {
  accessGroupIds: ReadonlySet<number>;
  tagIds: ReadonlySet<number>;
  /** Onboarding tags of every activation: added once, at the first, and kept. */
  onboardingTagIds: ReadonlySet<number>;
}

const NO_PAST: PastDemands = { accessGroupIds: new Set(), tagIds: new Set(), onboardingTagIds: new Set() };

const DAY_MS = 24 * 60 * 60 * 1000;

export function deriveEntitlement(src: SourceFacts, catalog: PlanCatalog, now: Date): DerivedEntitlement | null {
  if (!src.planKey) return null;
  const everGranted = src.paid || src.subscriptionStatus === "trialing";
  if (!everGranted) return null;
  const base = {
    sourceId: src.sourceId,
    planKey: src.planKey,
    cancelAtPeriodEnd: src.cancelAtPeriodEnd,
    lastPaymentAt: src.lastPaymentAt,
    lastPaymentStatus: src.lastPaymentStatus,
    lastEventAt: src.lastEventAt,
    graceUntil: null as Date | null,
  };
  if (src.refundedAt || src.disputedAt) {
    return { ...base, status: "refunded", hasAccess: false, accessUntil: src.refundedAt ?? src.disputedAt };
  }
  const ended = src.subscriptionStatus === "canceled" || src.subscriptionStatus === "incomplete_expired" || src.endedAt !== null;
  if (ended) {
    const until = src.endedAt ?? src.currentPeriodEnd;
    const hasAccess = until !== null && now < until;
    return { ...base, status: hasAccess ? "canceled" : "expired", hasAccess, accessUntil: until };
  }
  if (src.subscriptionStatus === "paused") {
    return { ...base, status: "expired", hasAccess: false, accessUntil: null };
  }
  if (src.failingSince || src.subscriptionStatus === "past_due" || src.subscriptionStatus === "unpaid") {
    const since = src.failingSince ?? src.lastEventAt;
    const graceUntil = new Date(since.getTime() + catalog.paymentGraceDays * DAY_MS);
    // "unpaid" is Stripe saying its retries are over.
    const hasAccess = src.subscriptionStatus !== "unpaid" && now < graceUntil;
    return { ...base, status: "past_due", hasAccess, accessUntil: graceUntil, graceUntil };
  }
  if (src.cancelAtPeriodEnd && !src.oneTime) {
    const until = src.currentPeriodEnd;
    const hasAccess = until === null || now < until;
    return { ...base, status: hasAccess ? "canceled" : "expired", hasAccess, accessUntil: until };
  }
  if (src.subscriptionStatus === "trialing") {
    return { ...base, status: "trialing", hasAccess: true, accessUntil: src.currentPeriodEnd };
  }
  return { ...base, status: "active", hasAccess: true, accessUntil: src.oneTime ? null : src.currentPeriodEnd };
}

function journeysOf(src: SourceFacts): DerivedJourney[] {
  const journeys: DerivedJourney[] = [];
  if (src.firstPaidAt) {
    journeys.push({ kind: "purchase", key: src.sourceId, startedAt: src.firstPaidAt, endedAt: src.refundedAt ?? src.disputedAt ?? src.firstEndedAt });
  }
  for (const episode of src.failureEpisodes) {
    journeys.push({ kind: "payment_failure", key: episode.invoiceId, startedAt: episode.startedAt, endedAt: episode.resolvedAt });
  }
  if (src.cancelRequestedAt) {
    journeys.push({ kind: "cancellation", key: src.sourceId, startedAt: src.cancelRequestedAt, endedAt: src.cancelWithdrawnAt ?? src.firstEndedAt });
  }
  if (src.refundedAt && src.refundChargeId) {
    journeys.push({ kind: "refund", key: src.refundChargeId, startedAt: src.refundedAt, endedAt: null });
  }
  if (src.disputedAt && src.disputeId) {
    journeys.push({ kind: "dispute", key: src.disputeId, startedAt: src.disputedAt, endedAt: null });
  }
  return journeys;
}

/**
 * Overrides come last: an access group or tag allowed is held and one denied is kept off (a
 * denied tag is taken off whoever put it there), whatever the entitlements say; overrides of
 * targets the catalog no longer names are ignored, as the catalog is what the record manages.
 * A journey the record holds as ended stays ended, and an unpaid episode an admin ended opens
 * no billing ticket.
 */
export function deriveDesired(facts: CustomerFacts, catalog: PlanCatalog, now: Date, overrides: Overrides = NO_OVERRIDES, past: PastDemands = NO_PAST): DesiredState {
  const entitlements: DerivedEntitlement[] = [];
  const accessGroupIds = new Set<number>();
  const tagsWanted = new Set<number>();
  const tagsSuppressed = new Set<number>();
  const journeys: DerivedJourney[] = [];
  const unpaidAfterGrace: DesiredState["unpaidAfterGrace"] = [];
  let nextCheckAt: Date | null = null;
  const later = (at: Date | null) => {
    if (at && at > now && (nextCheckAt === null || at < nextCheckAt)) nextCheckAt = at;
  };

  const journeyKeys = new Set<string>();
  for (const src of facts.sources.values()) {
    for (const journey of journeysOf(src)) {
      // One journey per key (a charge refunded twice, placed on two purchases): the first holds it.
      const key = journeyKey(journey.kind, journey.key);
      if (journeyKeys.has(key)) continue;
      journeyKeys.add(key);
      journeys.push({ ...journey, endedAt: journey.endedAt ?? overrides.endedJourneys.get(journeyKey(journey.kind, journey.key)) ?? null });
    }
    const entitlement = deriveEntitlement(src, catalog, now);
    if (!entitlement) continue;
    entitlements.push(entitlement);
    const plan = catalog.plans.find((candidate) => candidate.key === entitlement.planKey);
    if (!plan) continue;
    const tags = plan.kitTagIds;
    if (entitlement.hasAccess) {
      plan.circleAccessGroupIds.forEach((id) => accessGroupIds.add(id));
      tags.active.forEach((id) => tagsWanted.add(id));
      later(entitlement.accessUntil);
    }
    if (entitlement.status === "active" || entitlement.status === "trialing") tags.onboarding.forEach((id) => tagsWanted.add(id));
    if (entitlement.status === "past_due") tags.pastDue.forEach((id) => tagsWanted.add(id));
    if (entitlement.status === "canceled" || entitlement.status === "expired") tags.canceled.forEach((id) => tagsWanted.add(id));
    if (entitlement.status === "refunded") {
      tags.refunded.forEach((id) => tagsWanted.add(id));
      catalog.promotionalTagIds.forEach((id) => tagsSuppressed.add(id));
    }
    const unpaid = entitlement.status === "past_due" && !entitlement.hasAccess;
    if (unpaid && entitlement.graceUntil && src.failingInvoiceId && !overrides.endedJourneys.has(journeyKey("payment_failure", src.failingInvoiceId))) {
      unpaidAfterGrace.push({ journeyKey: src.failingInvoiceId, planKey: entitlement.planKey, graceUntil: entitlement.graceUntil });
    }
  }

  past.onboardingTagIds.forEach((id) => tagsWanted.add(id));
  // Whatever one entitlement grants wins over what another ends.
  for (const id of tagsWanted) tagsSuppressed.delete(id);

  applyOverrides(catalog, overrides, accessGroupIds, tagsWanted, tagsSuppressed);
  const tagsUnwanted = new Set([...managedTagIds(catalog)].filter((id) => !tagsWanted.has(id)));
  const released = {
    accessGroupIds: new Set([...past.accessGroupIds].filter((id) => !accessGroupIds.has(id))),
    tagIds: new Set([...past.tagIds].filter((id) => !tagsWanted.has(id))),
  };
  return { entitlements, accessGroupIds, tagsWanted, tagsUnwanted, tagsSuppressed, journeys, nextCheckAt, unpaidAfterGrace, released };
}

/**
 * The customer's facts and what the record should say, from their whole history, the same
 * whatever order its events arrived in and however their applies interleaved. An in-order
 * delivery acts on every point of the history as it arrives, so each point (the events up to
 * one, derived at that event's time) counts too: the onboarding tags of any activation
 * are wanted for good, an access group or tag called for once and no longer is released (its
 * row reads revoked or removed), and a journey that went missing ended. Quadratic in the
 * history's length, which is a customer's events (tens).
 */
export function deriveFromHistory(
  events: readonly CanonicalEvent[],
  catalog: PlanCatalog,
  now: Date,
  overrides: Overrides = NO_OVERRIDES,
): { facts: CustomerFacts; desired: DesiredState } {
  const sorted = [...events].sort(compareEvents);
  const accessGroupIds = new Set<number>();
  const tagIds = new Set<number>();
  const onboardingTagIds = new Set<number>();
  // Journeys as last seen, with the time of the event at whose point each went missing.
  const journeys = new Map<string, { journey: DerivedJourney; goneAt: Date | null }>();
  for (let end = 1; end <= sorted.length; end++) {
    const at = sorted[end - 1]!.at;
    const point = deriveDesired(foldEvents(sorted.slice(0, end), catalog), catalog, at);
    point.accessGroupIds.forEach((id) => accessGroupIds.add(id));
    // A tag taken off at some point (a promotion after a refund) has its row too.
    [...point.tagsWanted, ...point.tagsSuppressed].forEach((id) => tagIds.add(id));
    onboardingOf(point, catalog).forEach((id) => onboardingTagIds.add(id));
    const seen = new Set(point.journeys.map((journey) => journeyKey(journey.kind, journey.key)));
    for (const journey of point.journeys) journeys.set(journeyKey(journey.kind, journey.key), { journey, goneAt: null });
    for (const [key, entry] of journeys) if (!seen.has(key)) entry.goneAt ??= at;
  }
  const facts = foldEvents(sorted, catalog);
  const desired = deriveDesired(facts, catalog, now, overrides, { accessGroupIds, tagIds, onboardingTagIds });
  // A journey an earlier point had and the whole history has not (a refund that named no
  // payment, placed on a purchase that was paid again later) ended with the event that took it away.
  const derived = new Set(desired.journeys.map((journey) => journeyKey(journey.kind, journey.key)));
  for (const [key, { journey, goneAt }] of journeys) {
    if (!derived.has(key)) desired.journeys.push({ ...journey, endedAt: journey.endedAt ?? goneAt });
  }
  return { facts, desired };
}

/** The onboarding tags of the plans a derivation finds active or trialing. */
function onboardingOf(desired: DesiredState, catalog: PlanCatalog): number[] {
  return desired.entitlements.flatMap((entitlement) =>
    entitlement.status === "active" || entitlement.status === "trialing" ? (catalog.plans.find((plan) => plan.key === entitlement.planKey)?.kitTagIds.onboarding ?? []) : [],
  );
}

/** An admin's access and tag decisions over what the entitlements imply (a denied tag is suppressed: taken off whoever put it on). */
function applyOverrides(catalog: PlanCatalog, overrides: Overrides, accessGroupIds: Set<number>, tagsWanted: Set<number>, tagsSuppressed: Set<number>) {
  if (overrides.access.size > 0) {
    const inCatalog = catalogAccessGroupIds(catalog);
    for (const [id, effect] of overrides.access) {
      if (!inCatalog.has(id)) continue;
      if (effect === "allow") accessGroupIds.add(id);
      else accessGroupIds.delete(id);
    }
  }
  if (overrides.tags.size > 0) {
    const inCatalog = catalogTagIds(catalog);
    for (const [id, effect] of overrides.tags) {
      if (!inCatalog.has(id)) continue;
      if (effect === "allow") {
        tagsWanted.add(id);
        tagsSuppressed.delete(id);
      } else {
        tagsWanted.delete(id);
        tagsSuppressed.add(id);
      }
    }
  }
}
