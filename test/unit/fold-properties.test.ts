import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planRecordChanges, type HeldRecord, type RecordChanges } from "../../lib/lifecycle/changes";
import { deriveDesired, deriveFromHistory } from "../../lib/lifecycle/derive";
import type { CanonicalEvent } from "../../lib/lifecycle/events";
import { compareEvents, foldEvents } from "../../lib/lifecycle/fold";
import { planIntents, type Intent } from "../../lib/lifecycle/intents";
import { overridesOf } from "../../lib/lifecycle/overrides";
import { catalog, checkout, customerUpdated, day, dispute, invoiceFailed, invoicePaid, kitState, kitTag, refund, subscription } from "./builders";

// Properties of the pure lifecycle core over generated customer histories: the fold and the
// derivation are functions of the set of events (any order, duplicates delivered again), and
// applying the same history to the record twice changes nothing the second time. The last
// property replays a history into a simulated record the way the worker does (an apply per
// arrival, jobs finishing in between or not) and checks it ends where one apply of everything
// ends. FOLD_PROPERTY_RUNS sets the number of histories per property (default 300).

const RUNS = Number(process.env.FOLD_PROPERTY_RUNS ?? 300);

const when = fc.record({ days: fc.integer({ min: 0, max: 60 }), seconds: fc.integer({ min: 0, max: 2 }) }).map(({ days, seconds }) => day(days, seconds));
/** An invoice bills one subscription. */
const invoice = fc.constantFrom(
  { invoiceId: "in_1", subscriptionId: "sub_1", paymentRef: "pi_1" },
  { invoiceId: "in_2", subscriptionId: "sub_1", paymentRef: "pi_2" },
  { invoiceId: "in_3", subscriptionId: "sub_2", paymentRef: "pi_3" },
);
/** Payments a refund or dispute may name: the invoices' and the one-time course's. */
const paymentRef = fc.constantFrom("pi_1", "pi_2", "pi_3", "pi_course");
const subscriptionId = fc.constantFrom("sub_1", "sub_2");
const price = fc.constantFrom("price_monthly", "price_annual");

/** One event of a customer's lifecycle, its id assigned later. */
const lifecycleEvent: fc.Arbitrary<(eventId: string) => CanonicalEvent> = fc.oneof(
  fc.record({ at: when, sourceId: subscriptionId, price, paid: fc.boolean() }).map(
    (o) => (id: string) => checkout(id, o.at, { sourceId: o.sourceId, priceIds: [o.price], paid: o.paid, charged: o.paid, paymentRef: null }),
  ),
  when.map((at) => (id: string) => checkout(id, at, { sourceId: "cs_course", oneTime: true, priceIds: ["price_course"], paymentRef: "pi_course" })),
  fc
    .record({
      at: when,
      subscriptionId,
      price,
      status: fc.constantFrom("trialing", "active", "past_due", "unpaid", "canceled", "paused", "incomplete" as const),
      cancelAtPeriodEnd: fc.boolean(),
      deleted: fc.boolean(),
      periodEnd: fc.integer({ min: 1, max: 90 }),
    })
    .map(
      (o) => (id: string) =>
        subscription(id, o.at, {
          subscriptionId: o.subscriptionId,
          priceIds: [o.price],
          status: o.status,
          cancelAtPeriodEnd: o.cancelAtPeriodEnd,
          deleted: o.deleted,
          endedAt: o.deleted ? o.at : null,
          currentPeriodEnd: day(o.periodEnd),
        }),
    ),
  fc.record({ at: when, invoice, periodEnd: fc.integer({ min: 1, max: 90 }) }).map(
    (o) => (id: string) => invoicePaid(id, o.at, { ...o.invoice, periodEnd: day(o.periodEnd) }),
  ),
  fc.record({ at: when, invoice }).map((o) => (id: string) => invoiceFailed(id, o.at, { invoiceId: o.invoice.invoiceId, subscriptionId: o.invoice.subscriptionId })),
  fc.record({ at: when, paymentRef, full: fc.boolean() }).map((o) => (id: string) => refund(id, o.at, { paymentRef: o.paymentRef, chargeId: `ch_${o.paymentRef}`, fullyRefunded: o.full })),
  fc.record({ at: when, paymentRef }).map((o) => (id: string) => dispute(id, o.at, { paymentRef: o.paymentRef, chargeId: `ch_${o.paymentRef}`, disputeId: `dp_${id}` })),
  fc.record({ at: when, email: fc.constantFrom("ada@example.com", "ada.new@example.com") }).map((o) => (id: string) => customerUpdated(id, o.at, { email: o.email })),
  fc.record({ at: when, state: fc.constantFrom("active", "unsubscribed", "bounced" as const) }).map((o) => (id: string) => kitState(id, o.at, o.state)),
  fc.record({ at: when, tag: fc.constantFrom(10, 20, 50), present: fc.boolean() }).map((o) => (id: string) => kitTag(id, o.at, o.tag, o.present)),
);

const paymentOf = (event: CanonicalEvent) => (event.kind === "checkout_completed" || event.kind === "invoice_paid" ? event.paymentRef : null);

/**
 * A refund or dispute comes after the payment it reverses, when the history holds that payment
 * (it is delivered in any order, but it happens after): moved to a day or two after it.
 */
function reversalsAfterPayments(events: CanonicalEvent[]): CanonicalEvent[] {
  return events.map((event) => {
    if (event.kind !== "charge_refunded" && event.kind !== "dispute_opened") return event;
    const paidAt = events.filter((other) => paymentOf(other) === event.paymentRef).map((other) => other.at.getTime());
    if (paidAt.length === 0) return event;
    const after = Math.max(...paidAt) + (1 + (event.at.getTime() % 2)) * 86_400_000;
    return { ...event, at: new Date(Math.max(after, event.at.getTime())) };
  });
}

/** A customer's history: distinct events (the ledger keeps one row per provider event id). */
const history = (max = 8) =>
  fc
    .array(lifecycleEvent, { minLength: 1, maxLength: max })
    .map((makers) => reversalsAfterPayments(makers.map((make, index) => make(`evt_${String(index).padStart(2, "0")}`))));

/** A history with an order it arrives in. */
const shuffled = (max = 8) => history(max).chain((events) => fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }).map((order) => ({ events, order })));

/** When the record is derived: after the history's last event (a worker applies what has happened). */
const laterThan = (events: readonly CanonicalEvent[]) => fc.integer({ min: 0, max: 90 }).map((days) => new Date(Math.max(...events.map((event) => event.at.getTime())) + days * 86_400_000 + 30_000));
const historyAndNow = (max = 8) => history(max).chain((events) => laterThan(events).map((at) => [events, at] as const));

describe("fold", () => {
  it("is the same for every order of its input", () => {
    fc.assert(
      fc.property(shuffled(), ({ events, order }) => {
        expect(foldEvents(order, catalog)).toEqual(foldEvents(events, catalog));
      }),
      { numRuns: RUNS },
    );
  });

  it("is the same when events are delivered again (an event applied twice equals once)", () => {
    fc.assert(
      fc.property(
        history().chain((events) => fc.subarray(events).map((again) => ({ events, again }))),
        ({ events, again }) => {
          expect(foldEvents([...events, ...again], catalog)).toEqual(foldEvents(events, catalog));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("derive", () => {
  it("is deterministic: the same facts and time give the same desired state", () => {
    fc.assert(
      fc.property(historyAndNow(), ([events, at]) => {
        const first = deriveDesired(foldEvents(events, catalog), catalog, at);
        expect(deriveDesired(foldEvents(events, catalog), catalog, at)).toEqual(first);
        const facts = foldEvents(events, catalog);
        expect(deriveDesired(facts, catalog, at)).toEqual(deriveDesired(facts, catalog, at));
      }),
      { numRuns: RUNS },
    );
  });

  it("from the whole history is the same for every order of it", () => {
    fc.assert(
      fc.property(shuffled().chain((pair) => laterThan(pair.events).map((at) => [pair, at] as const)), ([{ events, order }, at]) => {
        expect(deriveFromHistory(order, catalog, at)).toEqual(deriveFromHistory(events, catalog, at));
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps the onboarding tag of any activation the history holds, whatever came after", () => {
    fc.assert(
      fc.property(historyAndNow(), ([events, at]) => {
        const activated = events.some((event, index) => {
          const upTo = [...events].sort(compareEvents).slice(0, index + 1);
          return deriveDesired(foldEvents(upTo, catalog), catalog, upTo.at(-1)!.at).entitlements.some((e) => e.status === "active" || e.status === "trialing");
        });
        const { desired } = deriveFromHistory(events, catalog, at);
        if (activated) expect([...desired.tagsWanted].some((tag) => tag === 20 || tag === 21)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- a simulated record: what lib/record/store.ts writes, and the outbox's jobs finishing ----

function emptyRecord(): HeldRecord {
  return { customer: { email: "ada@example.com", emailStatus: "active" }, entitlements: [], journeys: [], grants: [], tags: [] };
}

const ms = (date: Date | null) => date?.getTime() ?? null;

function write(held: HeldRecord, changes: RecordChanges): HeldRecord {
  const upsert = <T, K>(rows: T[], changed: T[], key: (row: T) => K) => {
    const next = new Map(rows.map((row) => [key(row), row]));
    for (const row of changed) next.set(key(row), row);
    return [...next.values()];
  };
  return {
    customer: { ...held.customer, emailStatus: changes.emailStatus ?? held.customer.emailStatus },
    entitlements: upsert(
      held.entitlements,
      changes.entitlements.map((e) => ({ ...e, accessUntil: ms(e.accessUntil), graceUntil: ms(e.graceUntil), lastPaymentAt: ms(e.lastPaymentAt), lastEventAt: e.lastEventAt.getTime() })),
      (row) => row.sourceId,
    ),
    journeys: upsert(held.journeys, changes.journeys.map((j) => ({ ...j, startedAt: j.startedAt.getTime(), endedAt: ms(j.endedAt) })), (row) => `${row.kind}:${row.key}`),
    grants: upsert(held.grants, changes.grants, (row) => row.accessGroupId),
    tags: upsert(held.tags, changes.tags.map(({ tagId, state, version }) => ({ tagId, state, version })), (row) => row.tagId),
  };
}

/** The jobs of `intents` finishing: each moves its row only while the row still holds its version. */
function finish(held: HeldRecord, intents: Intent[]): HeldRecord {
  const grants = held.grants.map((grant) => {
    const job = intents.find((intent) => (intent.kind === "circle.grant" || intent.kind === "circle.revoke") && intent.accessGroupId === grant.accessGroupId && intent.version === grant.version);
    return job ? { ...grant, state: job.kind === "circle.grant" ? ("active" as const) : ("revoked" as const) } : grant;
  });
  const tags = held.tags.map((tag) => {
    const job = intents.find((intent) => (intent.kind === "kit.tag" || intent.kind === "kit.untag") && intent.tagId === tag.tagId && intent.version === tag.version);
    return job ? { ...tag, state: job.kind === "kit.tag" ? ("applied" as const) : ("removed" as const) } : tag;
  });
  return { ...held, grants, tags };
}

/** One apply of the events the record holds so far, as lib/record/apply.ts refolds; returns the record and the jobs it queued. */
function applyAll(held: HeldRecord, events: CanonicalEvent[], at: Date) {
  const { facts, desired } = deriveFromHistory(events, catalog, at, overridesOf({ overrides: [], journeys: held.journeys }));
  const intents = planIntents(held, desired);
  return { held: write(held, planRecordChanges(held, desired, facts, intents)), intents };
}

/** The record's end state without versions (they count the decisions taken on the way). */
const endState = (held: HeldRecord) => ({
  entitlements: [...held.entitlements].sort((a, b) => a.sourceId.localeCompare(b.sourceId)),
  journeys: [...held.journeys].sort((a, b) => `${a.kind}:${a.key}`.localeCompare(`${b.kind}:${b.key}`)),
  grants: held.grants.map(({ accessGroupId, state }) => ({ accessGroupId, state })).sort((a, b) => a.accessGroupId - b.accessGroupId),
  tags: held.tags.map(({ tagId, state }) => ({ tagId, state })).sort((a, b) => a.tagId - b.tagId),
});

describe("applying to the record", () => {
  it("twice equals once: a second apply of the same history queues nothing and changes no row", () => {
    fc.assert(
      fc.property(historyAndNow(), ([events, at]) => {
        const once = applyAll(emptyRecord(), events, at);
        for (const record of [once.held, finish(once.held, once.intents)]) {
          const { facts, desired } = deriveFromHistory(events, catalog, at, overridesOf({ overrides: [], journeys: record.journeys }));
          const intents = planIntents(record, desired);
          expect(intents).toEqual([]);
          expect(planRecordChanges(record, desired, facts, intents)).toMatchObject({ entitlements: [], journeys: [], grants: [], tags: [] });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("ends where one apply of everything ends, for events applied in time order one by one, jobs finishing in between or not", () => {
    fc.assert(
      fc.property(
        history(),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        (events, jobsFinishInBetween) => {
          // In order: provider time, same-second events in their causal order (the fold's).
          const sorted = [...events].sort(compareEvents);
          const at = day(150);
          let record = emptyRecord();
          let queued: Intent[] = [];
          sorted.forEach((event, index) => {
            // Delivered as it happens: applied at its own time.
            const step = applyAll(record, sorted.slice(0, index + 1), event.at);
            record = step.held;
            queued.push(...step.intents);
            if (jobsFinishInBetween[index]) {
              record = finish(record, queued);
              queued = [];
            }
          });
          const last = applyAll(finish(record, queued), sorted, at);
          const oneByOne = finish(last.held, last.intents);
          const together = applyAll(emptyRecord(), events, at);
          expect(endState(oneByOne)).toEqual(endState(finish(together.held, together.intents)));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
