import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, customerUpdated, invoiceEvent, newPurchase, stripeEvent, subscriptionEvent, type Purchase } from "../../lib/sandbox/stripe-events";

// Regression (found by the chaos replay, test/chaos): a customer who changed their email at
// Stripe after Circle access was set up got a second Circle member, and a second invitation, at
// the next grant: the grant looked the customer up in Circle under the new address, found no
// one, and created a member. Circle knows the customer under the address they were first
// invited with; every grant goes to that member.

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ providerTimeoutMs: 5_000 });
});
afterEach(async () => {
  await stack.stop();
});

const DAY = 86_400;

async function post(event: object) {
  expect((await stack.postStripe(event)).status).toBe(200);
  await stack.drain();
}

/** A one-time masterclass purchase (another access group) by the renamed customer, two days after the first. */
const masterclassBought = (p: Purchase, name: string) =>
  stripeEvent({
    type: "checkout.session.completed",
    created: p.at + 2 * DAY,
    object: {
      id: `cs_${name}`,
      object: "checkout.session",
      mode: "payment",
      payment_status: "paid",
      customer: p.customerId,
      customer_details: { email: "renamed@example.com", name: null },
      payment_intent: `pi_${name}`,
      metadata: { price_id: "price_demo_masterclass" },
    },
  });

describe("Circle after an email change at Stripe", () => {
  it("grants a resubscribing customer's access to the member they already are, without a second invitation", async () => {
    const first = newPurchase({ at: Math.floor(Date.now() / 1000) - 120 * DAY });
    await post(checkoutCompleted(first));
    await post(customerUpdated(first, "renamed@example.com", { created: first.at + DAY }));
    await post(subscriptionEvent(first, "customer.subscription.deleted", { status: "canceled", created: first.at + 30 * DAY, endedAt: first.at + 30 * DAY }));
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);

    const again = newPurchase({ customerId: first.customerId, email: "renamed@example.com", at: first.at + 60 * DAY });
    await post(checkoutCompleted(again));

    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([first.email]);
    const record = await getCustomerRecord(stack.db, (await findCustomerId(stack.db, "renamed@example.com"))!);
    expect(record!.access).toMatchObject([{ accessGroupId: stack.ids.communityGroup }]);
    expect(["invited", "active"]).toContain(record!.access[0]!.state);
  });

  it("grants a second access group to the member the first one went to", async () => {
    const p = newPurchase({ at: Math.floor(Date.now() / 1000) - 60 * DAY });
    await post(checkoutCompleted(p));
    await post(invoiceEvent(p, "invoice.paid"));
    await post(customerUpdated(p, "renamed@example.com", { created: p.at + DAY }));
    await post(masterclassBought(p, "masterclass_after_rename"));

    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.circle.membersOf(stack.ids.masterclassGroup)).toEqual([p.email]);
  });
  it("retries a grant whose member was created but whose answer was lost to the address the first attempt used, after an email change", async () => {
    stack.circle.fail({ timeoutMs: 0, applyThenHang: true, method: "POST", path: "/community_members" });
    const p = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    // The apply job, then the grant's first attempt: Circle creates the member and the answer is lost.
    for (let runs = 0; runs < 10 && !stack.circle.requests().some((request) => request.method === "POST" && request.path === "/community_members"); runs++) await stack.worker.runOnce();
    expect(stack.circle.memberCount()).toBe(1);
    // The email changes before the grant's retry runs.
    const holdRetry = (runAt: string) => stack.db.sql(`UPDATE "Job" SET "runAt" = ${runAt} WHERE kind = 'circle.grant' AND status = 'queued'`);
    await holdRetry("now() + interval '1 hour'");
    await post(customerUpdated(p, "renamed@example.com"));
    await holdRetry("now()");
    await stack.drain();

    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
  });

  // Found by the 10,000-event replay (seed 20261201): the second group's grant ran while the
  // first one's answer was lost, so nothing yet said the customer was in Circle, and it created
  // a member under the new address.
  it("grants a second access group to the member an unanswered first grant created, after an email change", async () => {
    stack.circle.fail({ timeoutMs: 0, applyThenHang: true, method: "POST", path: "/community_members" });
    const p = newPurchase({ at: Math.floor(Date.now() / 1000) - 10 * DAY });
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    for (let runs = 0; runs < 10 && !stack.circle.requests().some((request) => request.method === "POST" && request.path === "/community_members"); runs++) await stack.worker.runOnce();
    expect(stack.circle.memberCount()).toBe(1);
    const holdCommunityRetry = (runAt: string) =>
      stack.db.sql(`UPDATE "Job" SET "runAt" = ${runAt} WHERE kind = 'circle.grant' AND status = 'queued' AND (payload->>'accessGroupId')::int = $1`, [stack.ids.communityGroup]);
    await holdCommunityRetry("now() + interval '1 hour'");
    await post(customerUpdated(p, "renamed@example.com", { created: p.at + DAY }));
    await post(masterclassBought(p, "masterclass_while_unanswered"));
    await holdCommunityRetry("now()");
    await stack.drain();

    expect(stack.circle.memberCount()).toBe(1);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(stack.circle.membersOf(stack.ids.masterclassGroup)).toEqual([p.email]);
  });
});
