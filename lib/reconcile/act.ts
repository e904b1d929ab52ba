import crypto from "node:crypto";
import type Stripe from "stripe";
import type { Database } from "../db";
import type { StripeReader } from "../integrations/stripe";
import { jobRow } from "../jobs/kinds";
import type { PlanCatalog } from "../lifecycle/catalog";
import { recordInvitationAccepted, redoGrant, redoTag } from "../record/store";
import { escalateForCustomer } from "../support/tickets";
import { recordEvents, type LedgerEntry } from "../webhooks/ledger";
import type { Drift, DriftKind } from "./classify";
import { TICKET_CATEGORY, type DriftAction } from "./policy";
import type { RecordRead } from "./snapshot";

// Acting on one drift. A repair never writes a provider directly: it moves the record's row
// to a new version with the job that carries it out (the outbox, lib/record/store.ts), or, for
// Stripe, records the object Stripe holds now as the event its lost webhook would have been,
// which the worker applies exactly as a delivery (lib/record/apply.ts). A ticket goes to the
// customer's journey (one per journey and category) and is remembered, so a later run counts
// the same drift as known instead of asking again.

export type DriftOutcome = "repaired" | "ticketed" | "reported" | "known" | "superseded" | "would_repair" | "would_ticket";

export interface ActDeps {
  db: Database;
  catalog: PlanCatalog;
  stripe: StripeReader | null;
  now: () => Date;
}

/** Drift keys handed to a person whose ticket is not resolved yet -> the ticket id. */
export async function readKnownDrift(db: Database): Promise<Map<string, string | null>> {
  const rows = await db.sql<{ key: string; ticketId: string | null }>(
    `SELECT notice.key, notice."ticketId" FROM "DriftNotice" notice LEFT JOIN "Ticket" ticket ON ticket.id = notice."ticketId"
      WHERE ticket.status IS DISTINCT FROM 'resolved'`,
  );
  return new Map(rows.map((row) => [row.key, row.ticketId]));
}

/** What a person reads on the ticket: plain words, ids only (never an email). */
const TICKET_TEXT: Record<DriftKind, (drift: Drift) => string> = {
  paid_no_access: (drift) => `Reconciliation: the record holds community access (Circle access group ${groupOf(drift)}) but the member is not in the group in Circle.`,
  access_not_paid: (drift) =>
    `Reconciliation: the member is in Circle access group ${groupOf(drift)} without access in the record${drift.banned ? " (an admin revoked it)" : ""}: remove them in Circle, or give them a comp.`,
  invitation_accepted: (drift) => `Reconciliation: the member accepted the Circle invitation (access group ${groupOf(drift)}) but the record still says invited.`,
  unknown_member: (drift) => `Reconciliation: Circle access group ${groupOf(drift)} holds a member linked to no customer.`,
  tag_missing: (drift) => `Reconciliation: Kit tag ${tagOf(drift)} is missing on the subscriber though the record applied it.`,
  tag_extra: (drift) => `Reconciliation: the subscriber holds Kit tag ${tagOf(drift)} that the record removed or never applied.`,
  subscription_no_entitlement: (drift) => `Reconciliation: Stripe subscription ${subscriptionOf(drift)} is running but the record holds no entitlement for it (its webhooks never came).`,
  entitlement_no_subscription: (drift) => `Reconciliation: the record holds a running entitlement for Stripe subscription ${subscriptionOf(drift)}, which Stripe no longer lists as running.`,
};

const groupOf = (drift: Drift) => (drift.target.type === "access_group" ? drift.target.accessGroupId : "?");
const tagOf = (drift: Drift) => (drift.target.type === "tag" ? drift.target.tagId : "?");
const subscriptionOf = (drift: Drift) => (drift.target.type === "subscription" ? drift.target.subscriptionId : "?");

async function openTicket(db: Database, drift: Drift, key: string): Promise<{ outcome: DriftOutcome; ticketId?: string }> {
  if (drift.customerId === null) return { outcome: "reported" };
  const ticket = await escalateForCustomer(db, { customerId: drift.customerId, category: TICKET_CATEGORY[drift.kind], summary: TICKET_TEXT[drift.kind](drift) });
  if (!ticket) return { outcome: "reported" };
  await db.sql(`INSERT INTO "DriftNotice" (key, kind, "customerId", "ticketId") VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET "ticketId" = EXCLUDED."ticketId" RETURNING key`, [
    key,
    drift.kind,
    drift.customerId,
    ticket.ticketId,
  ]);
  return { outcome: "ticketed", ticketId: ticket.ticketId };
}

export async function actOn(deps: ActDeps, drift: Drift, action: DriftAction, record: RecordRead, key: string): Promise<{ outcome: DriftOutcome; ticketId?: string }> {
  if (action === "report") return { outcome: "reported" };
  if (action === "ticket") return openTicket(deps.db, drift, key);
  const done = await repair(deps, drift, record);
  // A repair that cannot be made (Stripe no longer has the object) is a person's to look at.
  if (done === "impossible") return openTicket(deps.db, drift, key);
  return { outcome: done ? "repaired" : "superseded" };
}

async function repair(deps: ActDeps, drift: Drift, record: RecordRead): Promise<boolean | "impossible"> {
  const { db } = deps;
  const target = drift.target;
  const customerId = drift.customerId;
  if (customerId === null && drift.kind !== "subscription_no_entitlement") return "impossible";
  if (target.type === "access_group" && customerId !== null) {
    const { accessGroupId } = target;
    const grant = record.grants.find((row) => row.customerId === customerId && row.accessGroupId === accessGroupId);
    const options = { customerId };
    switch (drift.kind) {
      case "paid_no_access":
        if (!grant) return false;
        return redoGrant(db, {
          customerId,
          accessGroupId,
          fromVersion: grant.version,
          state: "pending",
          circleMemberId: grant.circleMemberId,
          job: (version) => jobRow("circle.grant", { customerId, accessGroupId, version }, options),
        });
      case "access_not_paid":
        return redoGrant(db, {
          customerId,
          accessGroupId,
          fromVersion: grant?.version ?? null,
          state: "revoked",
          circleMemberId: target.circleMemberId,
          job: (version) => jobRow("circle.revoke", { customerId, accessGroupId, version }, options),
        });
      case "invitation_accepted":
        return grant ? recordInvitationAccepted(db, { customerId, accessGroupId, version: grant.version }) : false;
      default:
        return "impossible";
    }
  }
  if (target.type === "tag" && customerId !== null) {
    const { tagId } = target;
    const row = record.tags.find((tag) => tag.customerId === customerId && tag.tagId === tagId);
    const add = drift.kind === "tag_missing";
    return redoTag(db, {
      customerId,
      tagId,
      fromVersion: row?.version ?? null,
      state: add ? "pending_add" : "pending_remove",
      job: (version) => jobRow(add ? "kit.tag" : "kit.untag", { customerId, tagId, version }, { customerId }),
    });
  }
  if (target.type === "subscription") return repairFromStripe(deps, target.subscriptionId);
  return "impossible";
}

/**
 * Stripe gave up on a webhook: read the subscription as Stripe holds it now, with its customer,
 * and record it as the `customer.updated` and `customer.subscription.updated` events that would
 * have told us, in the ledger (each with its apply job). Their ids name the state read, so a
 * second repair of the same state records nothing new.
 */
async function repairFromStripe(deps: ActDeps, subscriptionId: string): Promise<boolean | "impossible"> {
  if (!deps.stripe) return "impossible";
  const subscription = await deps.stripe.retrieveSubscription(subscriptionId);
  if (!subscription) return "impossible";
  const created = Math.floor(deps.now().getTime() / 1000);
  const customer = typeof subscription.customer === "string" ? null : subscription.customer;
  const entries: LedgerEntry[] = [];
  if (customer && !("deleted" in customer && customer.deleted)) {
    const object = customer as Stripe.Customer;
    entries.push(ledgerEntry("customer.updated", { id: object.id, object: "customer", email: object.email, name: object.name ?? null, metadata: object.metadata ?? {} }, created));
  }
  const customerId = typeof subscription.customer === "string" ? subscription.customer : subscription.customer.id;
  // Plain JSON, without the client's response metadata.
  const plain = JSON.parse(JSON.stringify(subscription)) as Record<string, unknown>;
  delete plain.lastResponse;
  entries.push(ledgerEntry("customer.subscription.updated", { ...plain, customer: customerId }, created));
  const recorded = await recordEvents(deps.db, entries);
  return recorded.some(Boolean);
}

function ledgerEntry(type: string, object: Record<string, unknown>, created: number): LedgerEntry {
  // The id names the object's state (not the time it was read): the same state is one event.
  const digest = crypto.createHash("sha256").update(`${type}:${JSON.stringify(object)}`).digest("hex").slice(0, 24);
  const event = { id: `evt_reconcile_${digest}`, object: "event", type, created, livemode: false, data: { object } };
  return { provider: "stripe", eventId: event.id, type, createdAt: new Date(created * 1000), json: JSON.stringify(event), handled: true };
}
