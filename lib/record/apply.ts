import type { Database, Session } from "../db";
import { JobFailure } from "../jobs/errors";
import { intentJob, jobRow, type JobRow } from "../jobs/kinds";
import { enqueue, settleAdoptedApplyJobs } from "../jobs/queue";
import type { PlanCatalog } from "../lifecycle/catalog";
import { planRecordChanges } from "../lifecycle/changes";
import { deriveFromHistory, type DesiredState } from "../lifecycle/derive";
import type { CanonicalEvent } from "../lifecycle/events";
import { planIntents, type Intent } from "../lifecycle/intents";
import { normalizeEvent } from "../lifecycle/normalize";
import { overridesOf } from "../lifecycle/overrides";
import { emailOf, mayCreateCustomer, nameOf, parseRefKey, refKey, refsOf, type ExternalId } from "../lifecycle/refs";
import { openSystemTickets } from "../support/tickets";
import * as store from "./store";

// Applying an event to the record: lock, resolve the customer, read their history and record,
// fold and derive (pure, lib/lifecycle), write what changed with the jobs that carry it out, in
// one transaction. Work for one customer is serialised by an advisory lock on their identity.
// This is the worker's hot path: a handful of statements per event (lib/record/store.ts).

export type ApplyOutcome =
  | { outcome: "applied"; customerId: string; intents: Intent[] }
  | { outcome: "waiting"; reason: string }
  | { outcome: "ignored"; reason: string };

/** Applies one recorded webhook event. Safe to run any number of times. */
export async function applyWebhookEvent(db: Database, catalog: PlanCatalog, ledgerId: string, now = new Date()): Promise<ApplyOutcome> {
  const row = await store.readLedgerEvent(db, ledgerId);
  if (!row) return { outcome: "ignored", reason: "no such event" };
  const normalized = normalizeEvent(row.provider, row.payload);
  if (!normalized.ok) {
    await store.markEventIgnored(db, ledgerId, normalized.error, now);
    return { outcome: "ignored", reason: normalized.error };
  }
  const event = normalized.event;
  const refs = refsOf(event);
  const lockKeys = [...refs.map(refKey), `email:${emailOf(event) ?? ""}`];

  return db.transaction(async (tx) => {
    await store.lockKeys(tx, lockKeys);
    const customerId = await store.resolveCustomer(tx, { ledgerId, refs, email: emailOf(event), name: nameOf(event), mayCreate: mayCreateCustomer(event) });
    if (!customerId) {
      if (!mayCreateCustomer(event)) {
        await store.markEventIgnored(tx, ledgerId, "not a customer", now);
        return { outcome: "ignored" as const, reason: "not a customer" };
      }
      if (refs.length === 0) {
        await store.markEventIgnored(tx, ledgerId, "names no customer, email or payment", now);
        return { outcome: "ignored" as const, reason: "unidentifiable" };
      }
      // Ahead of the event that names its customer (a subscription update before its
      // checkout, a dispute before its payment): park it; linking adopts it later, and the
      // job retries it with backoff in case nothing does.
      await store.parkEvent(tx, ledgerId, refs.map(refKey));
      return { outcome: "waiting" as const, reason: "customer not identified yet" };
    }
    await linkAndAdopt(tx, customerId, refs);
    const { intents } = await refold(tx, customerId, ledgerId, catalog, now, row.eventId);
    return { outcome: "applied" as const, customerId, intents };
  });
}

/** Re-derives a customer's record with no new event: time-based transitions. */
export async function recheckCustomer(db: Database, catalog: PlanCatalog, customerId: string, now = new Date()): Promise<Intent[]> {
  return db.transaction(async (tx) => {
    await store.lockCustomer(tx, customerId);
    return (await refold(tx, customerId, null, catalog, now, `recheck:${now.toISOString()}`)).intents;
  });
}

export interface Rederived {
  /** The record as it was before. */
  held: store.HeldState;
  intents: Intent[];
}

/**
 * Re-derives a customer's record inside the caller's transaction, after an admin changed what
 * it derives from (an override, a link, a merge); the caller holds the customer's lock. The
 * customer's pending events (those a link adopted) are applied by it.
 */
export async function rederiveRecord(tx: Session, catalog: PlanCatalog, customerId: string, now: Date, correlationId: string): Promise<Rederived> {
  return refold(tx, customerId, null, catalog, now, correlationId, now);
}

/**
 * Links the Kit subscriber a tag job created under `createdUnder` to the customer. An email change
 * that committed while the subscriber was being created found no subscriber to move, so the move
 * is queued here, under the customer's lock (an email change after this commit finds the link).
 * True when the customer's address is no longer the one the subscriber was created under.
 */
export async function linkKitSubscriber(db: Database, customerId: string, subscriberId: number, createdUnder: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await store.lockCustomer(tx, customerId);
    await store.linkExternalId(tx, customerId, { provider: "kit", externalId: String(subscriberId) });
    const email = await store.releaseKitClaim(tx, customerId);
    if (email === null || email === createdUnder) return false;
    await enqueue(tx, [jobRow("kit.update_email", { customerId, subscriberId, email, changeId: crypto.randomUUID() }, { customerId })]);
    return true;
  });
}

/**
 * Links the event's external ids to the customer, then adopts the events that were waiting
 * for any of the customer's ids, linking theirs in turn (a payment that named an invoice
 * names the charge a later dispute will name). Their dead apply jobs count as done: the fold
 * that follows applies them. Returns the adopted events' ledger ids.
 */
export async function linkAndAdopt(tx: Session, customerId: string, refs: ExternalId[]): Promise<string[]> {
  const adoptedIds: string[] = [];
  let newRefs = refs;
  for (;;) {
    const adopted = await store.linkExternalIds(tx, customerId, newRefs);
    if (adopted.length === 0) return adoptedIds;
    adoptedIds.push(...adopted.map((event) => event.ledgerId));
    await settleAdoptedApplyJobs(
      tx,
      adopted.map((event) => event.ledgerId),
      customerId,
    );
    newRefs = adopted.flatMap((event) => event.awaitingRefs.map(parseRefKey)).filter((ref): ref is ExternalId => ref !== null);
  }
}

/**
 * Gives a customer the events no customer holds that name `email` (the address an admin just
 * linked to them), with their external ids and the events waiting for those; returns their
 * ledger ids. The fold that follows applies them.
 */
export async function adoptEventsNaming(tx: Session, customerId: string, email: string): Promise<string[]> {
  const named = (await store.unclaimedEventsMentioning(tx, email)).flatMap((stored) => {
    const normalized = normalizeEvent(stored.provider, stored.payload);
    return normalized.ok && emailOf(normalized.event) === email ? [{ ledgerId: stored.ledgerId, refs: refsOf(normalized.event) }] : [];
  });
  const ledgerIds = named.map((event) => event.ledgerId);
  await store.adoptEvents(tx, customerId, ledgerIds);
  await settleAdoptedApplyJobs(tx, ledgerIds, customerId);
  const waiting = await linkAndAdopt(tx, customerId, named.flatMap((event) => event.refs));
  return [...ledgerIds, ...waiting];
}

/**
 * Folds the customer's history and writes what it implies; `ledgerId` is the event being
 * applied, if any; `appliedAt` marks the customer's pending events applied (null: a recheck).
 */
async function refold(
  tx: Session,
  customerId: string,
  ledgerId: string | null,
  catalog: PlanCatalog,
  now: Date,
  correlationId: string,
  appliedAt: Date | null = ledgerId === null ? null : now,
): Promise<Rederived> {
  const held = await store.readHeldState(tx, customerId, ledgerId);
  if (ledgerId !== null && held.mergedIntoId !== null) {
    // An admin merged the record while this event waited for its lock: start again, and the
    // event resolves to the record it was merged into.
    throw new JobFailure(`customer ${customerId} was merged into ${held.mergedIntoId} meanwhile`, { next: "retry", retryAfterMs: 0, expected: true });
  }
  const history: CanonicalEvent[] = [];
  for (const stored of held.history) {
    const normalized = normalizeEvent(stored.provider, stored.payload);
    if (normalized.ok) history.push(normalized.event);
  }
  const { facts, desired } = deriveFromHistory(history, catalog, now, overridesOf(held));
  const intents = planIntents(held, desired);
  await store.writeRecordChanges(tx, {
    customerId,
    changes: planRecordChanges(held, desired, facts, intents),
    jobs: jobsFor(customerId, intents, desired),
    correlationId,
    appliedAt,
  });
  if (history.some((event) => event.kind === "customer_updated") && facts.email && facts.email !== held.customer.email) {
    const change = await store.changeCustomerEmail(tx, customerId, facts.email);
    if (change.result === "changed" && change.kitSubscriberId !== null) {
      await enqueue(tx, [jobRow("kit.update_email", { customerId, subscriberId: change.kitSubscriberId, email: facts.email, changeId: change.changeId }, { customerId })]);
    }
  }
  await openUnpaidTickets(tx, customerId, desired);
  return { held, intents };
}

/** The jobs of a fold: one per intent, and the re-check when time alone will next change the record. */
function jobsFor(customerId: string, intents: Intent[], desired: DesiredState): JobRow[] {
  const jobs = intents.map((intent) => intentJob(customerId, intent));
  if (desired.nextCheckAt) {
    jobs.push(jobRow("lifecycle.recheck", { customerId, at: desired.nextCheckAt.toISOString() }, { runAt: desired.nextCheckAt, customerId }));
  }
  return jobs;
}

/** One billing ticket per failed-payment episode whose retry window ended unpaid. */
async function openUnpaidTickets(tx: Session, customerId: string, desired: DesiredState) {
  if (desired.unpaidAfterGrace.length === 0) return;
  const journeys = await store.journeyIds(
    tx,
    customerId,
    "payment_failure",
    desired.unpaidAfterGrace.map((unpaid) => unpaid.journeyKey),
  );
  await openSystemTickets(
    tx,
    customerId,
    desired.unpaidAfterGrace.flatMap((unpaid) => {
      const journeyId = journeys.get(unpaid.journeyKey);
      if (!journeyId) return [];
      const summary = `Payment retries for ${unpaid.planKey} ended unpaid on ${unpaid.graceUntil.toISOString().slice(0, 10)}; access was revoked.`;
      return [{ journeyId, category: "billing" as const, summary }];
    }),
  );
}
