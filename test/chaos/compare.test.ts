import { describe, expect, it } from "vitest";
import { normalizeStripeEvent } from "../../lib/lifecycle/stripe-events";
import { checkoutCompleted, chargeRefunded, invoiceEvent, invoicePaymentPaid, newPurchase, subscriptionEvent } from "../../lib/sandbox/stripe-events";
import { compareCustomer, type ObservedCustomer } from "./compare";
import { CHAOS_IDS, chaosCatalog, expectCustomer, type ExpectedCustomer } from "./oracle";

// The comparer must fail every way a run can go wrong, and pass only what equals the oracle;
// the oracle must say what the lifecycle rules say.

const { communityGroup, activeTag, onboardingTag, refundedTag } = CHAOS_IDS;

const expected = (): ExpectedCustomer => ({
  index: 0,
  stripeCustomerId: "cus_a",
  email: "new@chaos.example",
  emails: ["old@chaos.example", "new@chaos.example"],
  entitlements: [{ sourceId: "sub_a", planKey: "community_monthly", status: "active" }],
  grants: new Map([[communityGroup, "held"]]),
  tags: new Map([
    [activeTag, "applied"],
    [onboardingTag, "applied"],
  ]),
  tagAdds: new Map([
    [activeTag, 1],
    [onboardingTag, 1],
  ]),
});

const observed = (): ObservedCustomer => ({
  record: {
    email: "new@chaos.example",
    entitlements: [{ sourceId: "sub_a", planKey: "community_monthly", status: "active" }],
    grants: new Map([[communityGroup, "invited"]]),
    tags: new Map([
      [activeTag, "applied"],
      [onboardingTag, "applied"],
    ]),
  },
  circleMembers: [{ email: "old@chaos.example", accessGroupIds: [communityGroup] }],
  kitSubscribers: [
    {
      email: "new@chaos.example",
      tagIds: [activeTag, onboardingTag],
      tagAdds: new Map([
        [activeTag, 1],
        [onboardingTag, 1],
      ]),
    },
  ],
});

function withRecord(change: (record: NonNullable<ObservedCustomer["record"]>) => void): ObservedCustomer {
  const customer = observed();
  change(customer.record!);
  return customer;
}

describe("chaos comparer", () => {
  it("passes a customer equal to the oracle (an invited member holds access; the member keeps the address it was invited under)", () => {
    expect(compareCustomer(expected(), observed())).toEqual({ differences: [], duplicates: [] });
  });

  it.each<[string, ObservedCustomer, RegExp]>([
    ["no record", { ...observed(), record: null }, /no customer holds cus_a/],
    ["an old email", withRecord((record) => (record.email = "old@chaos.example")), /email is old@chaos.example/],
    ["another status", withRecord((record) => (record.entitlements[0]!.status = "past_due")), /entitlements are sub_a=community_monthly:past_due/],
    ["an entitlement too many", withRecord((record) => record.entitlements.push({ sourceId: "cs_b", planKey: "masterclass", status: "active" })), /entitlements are/],
    ["a grant that failed", withRecord((record) => record.grants.set(communityGroup, "failed")), /access group 1 is failed, expected held/],
    ["a tag still on its way", withRecord((record) => record.tags.set(activeTag, "pending_add")), /tag 1 is pending_add, expected applied/],
    ["an extra removed tag row", withRecord((record) => record.tags.set(refundedTag, "removed")), /tag 5 is removed, expected absent/],
    ["a missing tag row", withRecord((record) => record.tags.delete(onboardingTag)), /tag 2 is absent, expected applied/],
  ])("fails the record: %s", (_, customer, difference) => {
    const verdict = compareCustomer(expected(), customer);
    expect(verdict.differences.join("\n")).toMatch(difference);
  });

  it("fails Circle access that was not revoked, or not given", () => {
    const kept = observed();
    kept.circleMembers[0]!.accessGroupIds = [communityGroup, CHAOS_IDS.masterclassGroup];
    expect(compareCustomer(expected(), kept).differences).toEqual(["circle: in access groups 1,2, expected 1"]);
    const none = observed();
    none.circleMembers = [];
    expect(compareCustomer(expected(), none).differences).toEqual(["circle: in access groups none, expected 1"]);
  });

  it("fails Kit tags missing, extra, or left under an old address", () => {
    const missing = observed();
    missing.kitSubscribers[0]!.tagIds = [activeTag];
    expect(compareCustomer(expected(), missing).differences).toEqual([`kit: new@chaos.example holds tags 1, expected 1,2`]);
    const stale = observed();
    stale.kitSubscribers = [{ email: "old@chaos.example", tagIds: [activeTag, onboardingTag], tagAdds: new Map() }];
    const verdict = compareCustomer(expected(), stale);
    expect(verdict.differences).toContain("kit: no subscriber new@chaos.example");
    expect(verdict.differences.join("\n")).toMatch(/tags held under an old address: 1@old@chaos.example, 2@old@chaos.example/);
  });

  it("counts a second Circle member, a second Kit subscriber and a tag added more often than in order as duplicates", () => {
    const doubled = observed();
    doubled.circleMembers.push({ email: "new@chaos.example", accessGroupIds: [] });
    doubled.kitSubscribers.push({ email: "old@chaos.example", tagIds: [], tagAdds: new Map([[onboardingTag, 1]]) });
    const verdict = compareCustomer(expected(), doubled);
    expect(verdict.duplicates).toEqual([
      "circle: 2 members (old@chaos.example, new@chaos.example), each invited",
      "kit: 2 subscribers (new@chaos.example, old@chaos.example)",
      "kit: tag 2 added 2 times, 1 in order",
    ]);
  });
});

describe("chaos oracle", () => {
  const catalog = chaosCatalog();
  const normalized = (events: Array<ReturnType<typeof checkoutCompleted>>) =>
    events.map((event) => {
      const result = normalizeStripeEvent(event);
      if (!result.ok) throw new Error(result.error);
      return result.event;
    });

  it("revokes access and swaps the tags of a refunded purchase, whatever order the events are given in", () => {
    const p = newPurchase({ at: Date.UTC(2025, 2, 1) / 1000 });
    const events = normalized([
      checkoutCompleted(p),
      subscriptionEvent(p, "customer.subscription.created"),
      invoiceEvent(p, "invoice.paid"),
      invoicePaymentPaid(p),
      chargeRefunded(p, { created: p.at + 86_400 }),
    ]);
    const inOrder = expectCustomer(events, catalog, new Date());
    expect(inOrder.entitlements).toEqual([{ sourceId: p.subscriptionId, planKey: "community_monthly", status: "refunded" }]);
    expect(inOrder.grants).toEqual(new Map([[communityGroup, "revoked"]]));
    expect(inOrder.tags.get(activeTag)).toBe("removed");
    expect(inOrder.tags.get(refundedTag)).toBe("applied");
    // The onboarding tag is added once, at the first activation, and kept.
    expect(inOrder.tags.get(onboardingTag)).toBe("applied");
    expect(inOrder.tagAdds.get(onboardingTag)).toBe(1);
    expect(expectCustomer([...events].reverse(), catalog, new Date())).toEqual(inOrder);
  });

  it("counts a tag added again after it was taken off (a customer who ended a subscription and resubscribed)", () => {
    const first = newPurchase({ at: Date.UTC(2025, 2, 1) / 1000 });
    const second = newPurchase({ customerId: first.customerId, email: first.email, at: first.at + 60 * 86_400 });
    const events = normalized([
      checkoutCompleted(first),
      subscriptionEvent(first, "customer.subscription.created"),
      subscriptionEvent(first, "customer.subscription.deleted", { status: "canceled", created: first.at + 30 * 86_400, endedAt: first.at + 30 * 86_400 }),
      checkoutCompleted(second),
      subscriptionEvent(second, "customer.subscription.created"),
    ]);
    const outcome = expectCustomer(events, catalog, new Date());
    expect(outcome.entitlements.map((entitlement) => entitlement.status).sort()).toEqual(["active", "expired"]);
    expect(outcome.tagAdds.get(activeTag)).toBe(2);
    expect(outcome.tags.get(activeTag)).toBe("applied");
    // Wanted by the subscription that ended and by the new one alike: on for good.
    expect(outcome.tags.get(CHAOS_IDS.canceledTag)).toBe("applied");
  });
});
