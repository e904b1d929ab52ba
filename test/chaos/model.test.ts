import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeStripeEvent } from "../../lib/lifecycle/stripe-events";
import { generateScenario, planDeliveries, seededRandom } from "./model";

// The chaos model: the same seed makes the same run, the sizes asked for are the sizes made,
// every event is one the product handles, and every event is delivered at least once.

describe("chaos model", () => {
  it("replays exactly from its seed, and another seed makes another run", () => {
    const a = generateScenario({ seed: 5, events: 400, customers: 40 });
    const b = generateScenario({ seed: 5, events: 400, customers: 40 });
    const c = generateScenario({ seed: 6, events: 400, customers: 40 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(planDeliveries(b)).toEqual(planDeliveries(a));
    expect(JSON.stringify(c.events.map((event) => event.envelope.data))).not.toBe(JSON.stringify(a.events.map((event) => event.envelope.data)));
  });

  it("makes exactly the events and customers asked for, each event one the normalizer accepts, in provider time order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 12 }), (seed, customers, perCustomer) => {
        const scenario = generateScenario({ seed, events: customers * perCustomer, customers });
        expect(scenario.customers).toHaveLength(customers);
        expect(scenario.events).toHaveLength(customers * perCustomer);
        expect(new Set(scenario.events.map((event) => event.envelope.id)).size).toBe(scenario.events.length);
        for (const { envelope } of scenario.events) expect(normalizeStripeEvent(envelope).ok).toBe(true);
        const times = scenario.events.map((event) => event.envelope.created);
        expect(times).toEqual([...times].sort((x, y) => x - y));
      }),
      { numRuns: 40 },
    );
  });

  it("covers every lifecycle the brief names in a run of full size", () => {
    const scenario = generateScenario({ seed: 1, events: 10_000, customers: 1_000 });
    const types = new Set(scenario.events.map((event) => event.envelope.type));
    for (const type of ["checkout.session.completed", "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted", "invoice.paid", "invoice_payment.paid", "invoice.payment_failed", "charge.refunded", "charge.dispute.created", "customer.updated"]) {
      expect(types).toContain(type);
    }
    const objects = scenario.events.map((event) => event.envelope.data.object as Record<string, unknown>);
    expect(objects.some((object) => object.mode === "payment")).toBe(true);
    expect(objects.some((object) => object.payment_status === "no_payment_required")).toBe(true);
    expect(objects.some((object) => object.cancel_at_period_end === true)).toBe(true);
    // Resubscribing: a customer with two subscriptions.
    const subscriptions = new Map<number, Set<string>>();
    for (const { customer, envelope } of scenario.events) {
      if (envelope.type === "customer.subscription.created") subscriptions.set(customer, (subscriptions.get(customer) ?? new Set()).add(String((envelope.data.object as { id: string }).id)));
    }
    expect([...subscriptions.values()].some((ids) => ids.size > 1)).toBe(true);
  });

  it("delivers every event at least once, about 30% of them more than once, and reorders them", () => {
    const scenario = generateScenario({ seed: 9, events: 2_000, customers: 200 });
    const deliveries = planDeliveries(scenario);
    const copies = new Map<number, number>();
    for (const delivery of deliveries) copies.set(delivery.event, (copies.get(delivery.event) ?? 0) + 1);
    expect(copies.size).toBe(scenario.events.length);
    const repeated = [...copies.values()].filter((count) => count > 1).length / scenario.events.length;
    expect(repeated).toBeGreaterThan(0.25);
    expect(repeated).toBeLessThan(0.35);
    expect([...copies.values()].some((count) => count > 2)).toBe(true);
    const firsts = deliveries.filter((delivery) => delivery.copy === 0).map((delivery) => delivery.event);
    expect(firsts).not.toEqual([...firsts].sort((a, b) => a - b));
  });

  it("draws the same numbers from the same seed, uniformly in [0, 1)", () => {
    const a = seededRandom(3);
    const b = seededRandom(3);
    const draws = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(draws);
    expect(draws.every((draw) => draw >= 0 && draw < 1)).toBe(true);
    expect(draws.reduce((sum, draw) => sum + draw, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});
