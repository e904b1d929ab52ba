import type { CanonicalEvent, SubscriptionStatus } from "./events";
import { findPlan, type PlanCatalog } from "./catalog";

// Pure. A customer's facts are the fold of every event we hold for them, applied in provider
// time order. Folding in that order is what makes delivery order irrelevant: a refund that
// arrives before the purchase it refunds still ends refunded, and an older subscription
// snapshot never overwrites a newer one.

export interface SourceFacts {
  /** Subscription id, or checkout session id for a one-time purchase. */
  sourceId: string;
  oneTime: boolean;
  planKey: string | null;
  subscriptionStatus: SubscriptionStatus | null;
  paid: boolean;
  firstPaidAt: Date | null;
  lastPaymentAt: Date | null;
  /** Every payment's time: which purchase was the latest paid when a refund names no payment. */
  paidAt: Date[];
  lastPaymentStatus: "paid" | "failed" | "refunded" | "disputed" | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  endedAt: Date | null;
  /** The first time a snapshot said it ended: journeys end there for good (they never reopen). */
  firstEndedAt: Date | null;
  /** Start of an unresolved failed-payment episode. */
  failingSince: Date | null;
  failingInvoiceId: string | null;
  failureEpisodes: Array<{ invoiceId: string; startedAt: Date; resolvedAt: Date | null }>;
  refundedAt: Date | null;
  refundChargeId: string | null;
  disputedAt: Date | null;
  disputeId: string | null;
  /** The first request to cancel: the cancellation journey's start. */
  cancelRequestedAt: Date | null;
  /**
   * When the customer took the cancellation back (a snapshot no longer canceling): the journey
   * ends there, and stays ended, since a held journey never reopens (lib/lifecycle/overrides.ts).
   */
  cancelWithdrawnAt: Date | null;
  lastEventAt: Date;
}

export interface CustomerFacts {
  email: string | null;
  name: string | null;
  emailStatus: "active" | "unsubscribed" | "bounced" | "complained";
  sources: Map<string, SourceFacts>;
  /** payment_intent / charge id -> source it paid for. */
  payments: Map<string, string>;
  /** invoice id -> source it billed. */
  invoiceSources: Map<string, string>;
  /** payment_intent / charge id -> invoice it paid, for payments seen before their invoice. */
  paymentInvoices: Map<string, string>;
  kitTagsObserved: Map<number, { present: boolean; at: Date }>;
  /** Refunds and disputes that name a payment we have not seen yet. */
  orphanReversals: Array<{ kind: "refund" | "dispute"; refs: string[]; id: string; at: Date }>;
}

export const emptyFacts = (): CustomerFacts => ({
  email: null,
  name: null,
  emailStatus: "active",
  sources: new Map(),
  payments: new Map(),
  invoiceSources: new Map(),
  paymentInvoices: new Map(),
  kitTagsObserved: new Map(),
  orphanReversals: [],
});

// Same-second events from one Stripe action arrive in any order; this is the causal order.
const KIND_RANK: Record<CanonicalEvent["kind"], number> = {
  customer_updated: 0,
  checkout_completed: 1,
  subscription_changed: 2,
  invoice_paid: 3,
  invoice_payment_paid: 4,
  invoice_payment_failed: 5,
  charge_refunded: 6,
  dispute_opened: 7,
  kit_subscriber_state: 8,
  kit_tag_changed: 9,
};

const SUBSCRIPTION_RANK: Record<SubscriptionStatus, number> = {
  incomplete: 0,
  trialing: 1,
  active: 2,
  past_due: 3,
  unpaid: 4,
  paused: 5,
  canceled: 6,
  incomplete_expired: 6,
};

export function compareEvents(a: CanonicalEvent, b: CanonicalEvent): number {
  const byTime = a.at.getTime() - b.at.getTime();
  if (byTime !== 0) return byTime;
  const byKind = KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (byKind !== 0) return byKind;
  if (a.kind === "subscription_changed" && b.kind === "subscription_changed") {
    const byStatus = SUBSCRIPTION_RANK[a.status] - SUBSCRIPTION_RANK[b.status];
    if (byStatus !== 0) return byStatus;
  }
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

function newSource(sourceId: string, oneTime: boolean, at: Date): SourceFacts {
  return {
    sourceId,
    oneTime,
    planKey: null,
    subscriptionStatus: null,
    paid: false,
    firstPaidAt: null,
    lastPaymentAt: null,
    paidAt: [],
    lastPaymentStatus: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    endedAt: null,
    firstEndedAt: null,
    failingSince: null,
    failingInvoiceId: null,
    failureEpisodes: [],
    refundedAt: null,
    refundChargeId: null,
    disputedAt: null,
    disputeId: null,
    cancelRequestedAt: null,
    cancelWithdrawnAt: null,
    lastEventAt: at,
  };
}

function source(facts: CustomerFacts, sourceId: string, oneTime: boolean, at: Date): SourceFacts {
  let found = facts.sources.get(sourceId);
  if (!found) {
    found = newSource(sourceId, oneTime, at);
    facts.sources.set(sourceId, found);
  }
  if (at > found.lastEventAt) found.lastEventAt = at;
  return found;
}

function resolveFailure(src: SourceFacts, at: Date) {
  const open = src.failureEpisodes.find((episode) => episode.resolvedAt === null);
  if (open) open.resolvedAt = at;
  src.failingSince = null;
  src.failingInvoiceId = null;
}

function markPaid(src: SourceFacts, at: Date) {
  src.paid = true;
  src.firstPaidAt ??= at;
  src.paidAt.push(at);
  src.lastPaymentAt = at;
  src.lastPaymentStatus = "paid";
  resolveFailure(src, at);
}

/** A checkout that needed no payment (a free trial): access, but no payment to report. */
function grantWithoutCharge(src: SourceFacts, at: Date) {
  src.paid = true;
  src.firstPaidAt ??= at;
}

/**
 * The purchase paid most recently at `at` (ties: the lowest source id). Later payments do not
 * count, so what a reversal lands on never changes as the history grows.
 */
function latestPaidSourceAt(facts: CustomerFacts, at: Date): SourceFacts | undefined {
  let latest: { src: SourceFacts; paidAt: number } | undefined;
  for (const src of facts.sources.values()) {
    const times = src.paidAt.map((paid) => paid.getTime()).filter((paid) => paid <= at.getTime());
    if (times.length === 0) continue;
    const paidAt = Math.max(...times);
    if (!latest || paidAt > latest.paidAt || (paidAt === latest.paidAt && src.sourceId < latest.src.sourceId)) latest = { src, paidAt };
  }
  return latest?.src;
}

/** Whether a reversal at `at` named `id` comes before the one held (earliest wins; ties: the lower id). */
const earlier = (at: Date, id: string, heldAt: Date | null, heldId: string | null) =>
  heldAt === null || at < heldAt || (at.getTime() === heldAt.getTime() && heldId !== null && id < heldId);

// The earliest reversal of a purchase is the one that counts, whichever was folded first: a
// refund that named no payment is only placed after the fold (see foldEvents).
function applyReversal(facts: CustomerFacts, src: SourceFacts, kind: "refund" | "dispute", id: string, at: Date) {
  if (kind === "refund") {
    if (earlier(at, id, src.refundedAt, src.refundChargeId)) {
      src.refundedAt = at;
      src.refundChargeId = id;
    }
  } else if (earlier(at, id, src.disputedAt, src.disputeId)) {
    src.disputedAt = at;
    src.disputeId = id;
  }
  src.lastPaymentStatus = (src.disputedAt?.getTime() ?? -Infinity) > (src.refundedAt?.getTime() ?? -Infinity) ? "disputed" : src.refundedAt ? "refunded" : "disputed";
  if (at > src.lastEventAt) src.lastEventAt = at;
}

function recordPayment(facts: CustomerFacts, ref: string | null, src: SourceFacts) {
  if (!ref) return;
  facts.payments.set(ref, src.sourceId);
  // A refund or dispute seen before the payment it reverses lands now.
  facts.orphanReversals = facts.orphanReversals.filter((orphan) => {
    if (!orphan.refs.includes(ref)) return true;
    applyReversal(facts, src, orphan.kind, orphan.id, orphan.at);
    return false;
  });
}

function registerInvoice(facts: CustomerFacts, invoiceId: string, src: SourceFacts) {
  facts.invoiceSources.set(invoiceId, src.sourceId);
  for (const [ref, paidInvoice] of facts.paymentInvoices) {
    if (paidInvoice === invoiceId) recordPayment(facts, ref, src);
  }
}

function planFor(catalog: PlanCatalog, lookup: { planKey: string | null; priceIds: string[]; paymentLinkId?: string | null }) {
  return findPlan(catalog, lookup)?.key ?? null;
}

export function applyEvent(facts: CustomerFacts, event: CanonicalEvent, catalog: PlanCatalog): CustomerFacts {
  switch (event.kind) {
    case "customer_updated":
      if (event.identity.email) facts.email = event.identity.email;
      if (event.identity.name) facts.name = event.identity.name;
      return facts;
    case "checkout_completed": {
      if (event.identity.email) facts.email ??= event.identity.email;
      if (event.identity.name) facts.name ??= event.identity.name;
      const src = source(facts, event.sourceId, event.oneTime, event.at);
      src.planKey ??= planFor(catalog, event);
      if (event.paid && event.charged) markPaid(src, event.at);
      else if (event.paid) grantWithoutCharge(src, event.at);
      recordPayment(facts, event.paymentRef, src);
      return facts;
    }
    case "subscription_changed": {
      const src = source(facts, event.subscriptionId, false, event.at);
      src.subscriptionStatus = event.status;
      // An upgrade changes the subscription's price: the newest snapshot decides the plan.
      src.planKey = planFor(catalog, event) ?? src.planKey;
      src.currentPeriodEnd = event.currentPeriodEnd ?? src.currentPeriodEnd;
      src.cancelAtPeriodEnd = event.cancelAtPeriodEnd;
      if (event.cancelAtPeriodEnd || event.deleted) src.cancelRequestedAt ??= event.at;
      else if (event.status !== "canceled" && src.cancelRequestedAt !== null) src.cancelWithdrawnAt ??= event.at;
      src.endedAt = event.endedAt ?? (event.deleted ? event.at : null);
      src.firstEndedAt ??= src.endedAt;
      if (event.status === "active" || event.status === "trialing") {
        if (event.status === "trialing") src.paid = true;
        src.firstPaidAt ??= event.at;
        if (event.status === "active") {
          src.paid = true;
          resolveFailure(src, event.at);
        }
      }
      return facts;
    }
    case "invoice_paid": {
      if (event.identity.email) facts.email ??= event.identity.email;
      const sourceId = event.subscriptionId ?? `invoice:${event.invoiceId}`;
      const src = source(facts, sourceId, event.subscriptionId === null, event.at);
      const invoicedPlan = planFor(catalog, { planKey: null, priceIds: event.priceIds });
      // Subscription snapshots are the authority on a subscription's plan; an invoice only
      // fills the gap when no snapshot was delivered.
      if (src.subscriptionStatus === null) src.planKey = invoicedPlan ?? src.planKey;
      else src.planKey ??= invoicedPlan;
      registerInvoice(facts, event.invoiceId, src);
      if (event.periodEnd && (!src.currentPeriodEnd || event.periodEnd > src.currentPeriodEnd)) {
        src.currentPeriodEnd = event.periodEnd;
      }
      markPaid(src, event.at);
      recordPayment(facts, event.paymentRef, src);
      return facts;
    }
    case "invoice_payment_failed": {
      const sourceId = event.subscriptionId ?? `invoice:${event.invoiceId}`;
      const src = source(facts, sourceId, event.subscriptionId === null, event.at);
      registerInvoice(facts, event.invoiceId, src);
      if (src.failingSince === null) {
        src.failingSince = event.at;
        src.failingInvoiceId = event.invoiceId;
        // An episode is its invoice's journey: one that failed again after a payment settled
        // the episode stays that (ended) journey, as journeys never reopen.
        if (!src.failureEpisodes.some((episode) => episode.invoiceId === event.invoiceId)) {
          src.failureEpisodes.push({ invoiceId: event.invoiceId, startedAt: event.at, resolvedAt: null });
        }
      }
      src.lastPaymentAt = event.at;
      src.lastPaymentStatus = "failed";
      return facts;
    }
    case "invoice_payment_paid": {
      const sourceId = facts.invoiceSources.get(event.invoiceId);
      const src = sourceId ? facts.sources.get(sourceId) : undefined;
      for (const ref of [event.paymentRef, event.chargeRef]) {
        if (!ref) continue;
        if (src) recordPayment(facts, ref, src);
        else facts.paymentInvoices.set(ref, event.invoiceId);
      }
      return facts;
    }
    case "charge_refunded":
    case "dispute_opened": {
      // A partial refund is a goodwill credit, not a reversal of the purchase: access stays.
      if (event.kind === "charge_refunded" && !event.fullyRefunded) return facts;
      const kind = event.kind === "charge_refunded" ? "refund" : "dispute";
      const id = event.kind === "charge_refunded" ? event.chargeId : event.disputeId;
      const refs = [event.paymentRef, event.chargeId].filter((ref): ref is string => Boolean(ref));
      const sourceId = refs.map((ref) => facts.payments.get(ref)).find(Boolean);
      const src = sourceId ? facts.sources.get(sourceId) : undefined;
      if (src) {
        applyReversal(facts, src, kind, id, event.at);
        for (const ref of refs) facts.payments.set(ref, src.sourceId);
      } else {
        facts.orphanReversals.push({ kind, refs, id, at: event.at });
      }
      return facts;
    }
    case "kit_subscriber_state":
      facts.emailStatus = event.state;
      return facts;
    case "kit_tag_changed":
      facts.kitTagsObserved.set(event.tagId, { present: event.present, at: event.at });
      return facts;
  }
}

/**
 * Folds a customer's history. Reversals that never found their payment fall back to the
 * customer's most recently paid purchase, which is what a refund without a payment link means.
 */
export function foldEvents(events: readonly CanonicalEvent[], catalog: PlanCatalog): CustomerFacts {
  // One event delivered twice (a replay, a provider's retry) is one event: folded once.
  const seen = new Set<string>();
  const once = [...events].sort(compareEvents).filter((event) => !seen.has(event.eventId) && seen.add(event.eventId));
  const facts = once.reduce((acc, event) => applyEvent(acc, event, catalog), emptyFacts());
  const orphans = facts.orphanReversals;
  facts.orphanReversals = [];
  for (const orphan of orphans) {
    // Placed by what was paid up to its time only, so a later payment never moves it: a
    // reversal, once placed, stays (as one naming a known payment does).
    const src = latestPaidSourceAt(facts, orphan.at);
    if (src) applyReversal(facts, src, orphan.kind, orphan.id, orphan.at);
    else facts.orphanReversals.push(orphan);
  }
  return facts;
}
