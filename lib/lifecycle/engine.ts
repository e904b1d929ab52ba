import type { Prisma } from "../generated/prisma/client";
import type { EmailStatus, Provider } from "../generated/prisma/enums";
import type { Database } from "../db";
import { enqueue, type NewJob, type Tx } from "../jobs/queue";
import { APPLY_JOB } from "../webhooks/ledger";
import { normalizeEvent } from "../webhooks/normalize";
import type { PlanCatalog } from "./catalog";
import { deriveDesired, type DesiredState } from "./derive";
import type { CanonicalEvent } from "./events";
import { foldEvents } from "./fold";
import { dedupeKey, planIntents, type Intent } from "./intents";

// The I/O around the pure lifecycle: one transaction reads the customer's history, folds it,
// derives what the record should be, and writes the record, the journeys and the outbox jobs
// together. Work for one customer is serialised by an advisory lock on their identity.

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

async function lockIdentity(tx: Tx, keys: string[]) {
  // Sorted, so two transactions that need the same keys take them in the same order.
  await tx.$executeRawUnsafe(
    `SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest($1::text[]) AS key ORDER BY key`,
    [...new Set(keys)].sort(),
  );
}

/** Finds the customer an event is about: external ids first, then the normalized email. */
async function resolveCustomer(tx: Tx, event: CanonicalEvent): Promise<{ id: string } | null> {
  const refs = refsOf(event);
  if (refs.length > 0) {
    const found = await tx.externalRef.findFirst({
      where: { OR: refs.map((ref) => ({ provider: ref.provider, externalId: ref.externalId })) },
      select: { customerId: true },
    });
    if (found) return { id: found.customerId };
  }
  const email = emailOf(event);
  if (!email) return null;
  const byEmail = await tx.customer.findUnique({ where: { email }, select: { id: true } });
  if (byEmail) return byEmail;
  // Kit tells us about the whole mailing list; only Stripe makes someone a customer.
  if (event.kind === "kit_subscriber_state" || event.kind === "kit_tag_changed") return null;
  return tx.customer.create({
    data: { email, name: event.kind === "customer_updated" || "identity" in event ? event.identity.name : null },
    select: { id: true },
  });
}

function parseRefKey(key: string): Ref | null {
  const [provider, ...rest] = key.split(":");
  const externalId = rest.join(":");
  return (provider === "stripe" || provider === "kit" || provider === "circle") && externalId ? { provider, externalId } : null;
}

/**
 * Links the event's external ids to the customer, then adopts the events that were waiting
 * for any of the customer's ids, linking theirs in turn (a payment that named an invoice
 * names the charge a later dispute will name).
 */
async function linkRefs(tx: Tx, customerId: string, event: CanonicalEvent) {
  let newRefs = refsOf(event);
  for (;;) {
    if (newRefs.length > 0) {
      await tx.externalRef.createMany({ data: newRefs.map((ref) => ({ ...ref, customerId })), skipDuplicates: true });
    }
    const known = await tx.externalRef.findMany({ where: { customerId }, select: { provider: true, externalId: true } });
    if (known.length === 0) return;
    const adopted = await tx.webhookEvent.findMany({
      where: { customerId: null, awaitingRefs: { hasSome: known.map(refKey) } },
      select: { id: true, awaitingRefs: true, provider: true, eventId: true },
    });
    if (adopted.length === 0) return;
    // Adopted events are applied with this fold, even one whose own retries gave up.
    await tx.webhookEvent.updateMany({
      where: { id: { in: adopted.map((row) => row.id) } },
      data: { customerId, awaitingRefs: [], outcome: "pending", error: null },
    });
    await tx.job.updateMany({
      where: { dedupeKey: { in: adopted.map((row) => `${APPLY_JOB}:${row.provider}:${row.eventId}`) }, status: "dead" },
      data: { status: "succeeded", lastError: "applied once its customer was identified", customerId },
    });
    newRefs = adopted.flatMap((row) => row.awaitingRefs.map(parseRefKey)).filter((ref): ref is Ref => ref !== null);
  }
}

async function customerHistory(tx: Tx, customerId: string): Promise<CanonicalEvent[]> {
  const rows = await tx.webhookEvent.findMany({
    where: { customerId, outcome: { in: ["applied", "pending"] } },
    select: { provider: true, payload: true },
  });
  const events: CanonicalEvent[] = [];
  for (const row of rows) {
    const normalized = normalizeEvent(row.provider, row.payload);
    if (normalized.ok) events.push(normalized.event);
  }
  return events;
}

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;

const sameTime = (a: Date | null | undefined, b: Date | null) => (a ?? null)?.getTime() === b?.getTime();

/** Writes what changed, and only that: most events leave most of the record as it was. */
async function writeRecord(tx: Tx, customerId: string, desired: DesiredState, emailStatus: EmailStatus, correlationId: string) {
  const [current, journeys, customer] = await Promise.all([
    tx.entitlement.findMany({ where: { customerId } }),
    tx.journey.findMany({ where: { customerId } }),
    tx.customer.findUniqueOrThrow({ where: { id: customerId }, select: { emailStatus: true } }),
  ]);
  for (const entitlement of desired.entitlements) {
    const before = current.find((row) => row.sourceId === entitlement.sourceId);
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
    const data = {
      planKey: entitlement.planKey,
      status: entitlement.status,
      accessUntil: entitlement.accessUntil,
      graceUntil: entitlement.graceUntil,
      cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
      lastPaymentAt: entitlement.lastPaymentAt,
      lastPaymentStatus: entitlement.lastPaymentStatus,
      lastEventAt: entitlement.lastEventAt,
    };
    await tx.entitlement.upsert({
      where: { sourceId: entitlement.sourceId },
      create: { ...data, customerId, sourceId: entitlement.sourceId },
      update: data,
    });
    if (before?.status !== entitlement.status || before?.planKey !== entitlement.planKey) {
      await tx.auditLog.create({
        data: {
          actor: "system",
          action: "entitlement.changed",
          customerId,
          correlationId,
          before: before ? json({ planKey: before.planKey, status: before.status }) : undefined,
          after: json({ planKey: entitlement.planKey, status: entitlement.status, sourceId: entitlement.sourceId }),
        },
      });
    }
  }
  for (const journey of desired.journeys) {
    const held = journeys.find((row) => row.kind === journey.kind && row.key === journey.key);
    if (held && sameTime(held.startedAt, journey.startedAt) && sameTime(held.endedAt, journey.endedAt)) continue;
    await tx.journey.upsert({
      where: { kind_key: { kind: journey.kind, key: journey.key } },
      create: { customerId, kind: journey.kind, key: journey.key, startedAt: journey.startedAt, endedAt: journey.endedAt },
      update: { startedAt: journey.startedAt, endedAt: journey.endedAt },
    });
  }
  if (customer.emailStatus !== emailStatus) await tx.customer.update({ where: { id: customerId }, data: { emailStatus } });
}

async function writeIntents(tx: Tx, customerId: string, desired: DesiredState): Promise<Intent[]> {
  const [grants, tags] = await Promise.all([
    tx.accessGrant.findMany({ where: { customerId } }),
    tx.emailTagState.findMany({ where: { customerId } }),
  ]);
  const intents = planIntents({ grants, tags }, desired);
  const jobs: NewJob[] = [];
  for (const intent of intents) {
    switch (intent.kind) {
      case "circle.grant":
      case "circle.revoke": {
        const state = intent.kind === "circle.grant" ? "pending" : "revoked";
        await tx.accessGrant.upsert({
          where: { customerId_accessGroupId: { customerId, accessGroupId: intent.accessGroupId } },
          create: { customerId, accessGroupId: intent.accessGroupId, state, version: intent.version },
          update: { state, version: intent.version, lastError: null },
        });
        break;
      }
      case "kit.tag":
      case "kit.untag": {
        const state = intent.kind === "kit.tag" ? "pending_add" : "pending_remove";
        await tx.emailTagState.upsert({
          where: { customerId_tagId: { customerId, tagId: intent.tagId } },
          create: { customerId, tagId: intent.tagId, state, version: intent.version },
          update: { state, version: intent.version, lastError: null },
        });
        break;
      }
    }
    jobs.push({ kind: intent.kind, payload: json({ ...intent, customerId }), dedupeKey: dedupeKey(customerId, intent), customerId });
  }
  await enqueue(tx, jobs);
  return intents;
}

async function writeFollowUps(tx: Tx, customerId: string, desired: DesiredState) {
  if (desired.nextCheckAt) {
    await enqueue(tx, [
      {
        kind: "lifecycle.recheck",
        payload: { customerId },
        dedupeKey: `lifecycle.recheck:${customerId}:${desired.nextCheckAt.toISOString()}`,
        runAt: desired.nextCheckAt,
        customerId,
      },
    ]);
  }
  if (desired.unpaidAfterGrace.length === 0) return;
  const customer = await tx.customer.findUniqueOrThrow({ where: { id: customerId }, select: { email: true } });
  for (const unpaid of desired.unpaidAfterGrace) {
    const journey = await tx.journey.findUnique({ where: { kind_key: { kind: "payment_failure", key: unpaid.journeyKey } } });
    if (!journey) continue;
    await tx.ticket.upsert({
      where: { dedupeKey: ticketDedupeKey(customerId, journey.id, "billing") },
      create: {
        customerId,
        identity: customer.email,
        journeyId: journey.id,
        category: "billing",
        source: "system",
        summary: `Payment retries for ${unpaid.planKey} ended unpaid on ${unpaid.graceUntil.toISOString().slice(0, 10)}; access was revoked.`,
        dedupeKey: ticketDedupeKey(customerId, journey.id, "billing"),
      },
      update: {},
    });
  }
}

export function ticketDedupeKey(customerRef: string, journeyId: string | null, category: string): string {
  return `${customerRef}|${journeyId ?? "no-journey"}|${category}`;
}

async function propagateEmailChange(tx: Tx, customerId: string, newEmail: string | null) {
  if (!newEmail) return;
  const customer = await tx.customer.findUniqueOrThrow({ where: { id: customerId }, select: { email: true } });
  if (customer.email === newEmail) return;
  const holder = await tx.customer.findUnique({ where: { email: newEmail }, select: { id: true } });
  if (holder) {
    // Two records now claim one address: keep both untouched and leave it to a person.
    await tx.auditLog.create({
      data: { actor: "system", action: "customer.email_conflict", customerId, reason: "new Stripe email belongs to another customer record" },
    });
    return;
  }
  await tx.customer.update({ where: { id: customerId }, data: { email: newEmail } });
  await tx.auditLog.create({
    data: { actor: "system", action: "customer.email_changed", customerId, reason: "email changed at Stripe" },
  });
  const kitRef = await tx.externalRef.findFirst({ where: { customerId, provider: "kit" } });
  if (kitRef) {
    await enqueue(tx, [
      {
        kind: "kit.update_email",
        payload: { customerId, subscriberId: Number(kitRef.externalId), email: newEmail },
        dedupeKey: `kit.update_email:${customerId}:${newEmail}`,
        customerId,
      },
    ]);
  }
}

async function refold(tx: Tx, customerId: string, catalog: PlanCatalog, now: Date, correlationId: string): Promise<Intent[]> {
  const history = await customerHistory(tx, customerId);
  const facts = foldEvents(history, catalog);
  const desired = deriveDesired(facts, catalog, now);
  await writeRecord(tx, customerId, desired, facts.emailStatus, correlationId);
  await propagateEmailChange(tx, customerId, history.some((event) => event.kind === "customer_updated") ? facts.email : null);
  const intents = await writeIntents(tx, customerId, desired);
  await writeFollowUps(tx, customerId, desired);
  for (const [tagId, seen] of facts.kitTagsObserved) {
    await tx.emailTagState.updateMany({ where: { customerId, tagId }, data: { presentInKit: seen.present, observedAt: seen.at } });
  }
  return intents;
}

/** Applies one recorded webhook event. Safe to run any number of times. */
export async function applyWebhookEvent(db: Database, catalog: PlanCatalog, ledgerId: string, now = new Date()): Promise<ApplyOutcome> {
  const row = await db.prisma.webhookEvent.findUnique({ where: { id: ledgerId } });
  if (!row) return { outcome: "ignored", reason: "no such event" };
  const normalized = normalizeEvent(row.provider, row.payload);
  if (!normalized.ok) {
    await db.prisma.webhookEvent.update({
      where: { id: ledgerId },
      data: { outcome: "ignored", error: normalized.error, processedAt: now },
    });
    return { outcome: "ignored", reason: normalized.error };
  }
  const event = normalized.event;
  const lockKeys = [...refsOf(event).map((ref) => `${ref.provider}:${ref.externalId}`), `email:${emailOf(event) ?? ""}`];

  return db.prisma.$transaction(
    async (tx) => {
      await lockIdentity(tx, lockKeys);
      // Another event's transaction may have adopted this one already.
      const adoptedBy = (await tx.webhookEvent.findUnique({ where: { id: ledgerId }, select: { customerId: true } }))?.customerId;
      const customer = adoptedBy ? { id: adoptedBy } : await resolveCustomer(tx, event);
      if (!customer) {
        if (event.kind === "kit_subscriber_state" || event.kind === "kit_tag_changed") {
          await tx.webhookEvent.update({
            where: { id: ledgerId },
            data: { outcome: "ignored", error: "not a customer", processedAt: now },
          });
          return { outcome: "ignored" as const, reason: "not a customer" };
        }
        const refs = refsOf(event).map(refKey);
        if (refs.length === 0) {
          await tx.webhookEvent.update({
            where: { id: ledgerId },
            data: { outcome: "ignored", error: "names no customer, email or payment", processedAt: now },
          });
          return { outcome: "ignored" as const, reason: "unidentifiable" };
        }
        // Ahead of the event that names its customer (a subscription update before its
        // checkout, a dispute before its payment): park it; linking adopts it later, and the
        // job retries it with backoff in case nothing does.
        await tx.webhookEvent.update({
          where: { id: ledgerId },
          data: { awaitingRefs: refs, error: "waiting for the event that identifies the customer" },
        });
        return { outcome: "waiting" as const, reason: "customer not identified yet" };
      }
      await lockIdentity(tx, [`customer:${customer.id}`]);
      await linkRefs(tx, customer.id, event);
      await tx.webhookEvent.update({ where: { id: ledgerId }, data: { customerId: customer.id } });
      const intents = await refold(tx, customer.id, catalog, now, row.eventId);
      await tx.webhookEvent.updateMany({
        where: { customerId: customer.id, outcome: "pending" },
        data: { outcome: "applied", error: null, processedAt: now },
      });
      return { outcome: "applied" as const, customerId: customer.id, intents };
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

/** Re-derives a customer's record with no new event: time-based transitions. */
export async function recheckCustomer(db: Database, catalog: PlanCatalog, customerId: string, now = new Date()): Promise<Intent[]> {
  return db.prisma.$transaction(
    async (tx) => {
      await lockIdentity(tx, [`customer:${customerId}`]);
      return refold(tx, customerId, catalog, now, `recheck:${now.toISOString()}`);
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}
