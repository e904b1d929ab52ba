import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, customerUpdated, invoiceEvent, invoicePaymentPaid, newPurchase } from "../../lib/sandbox/stripe-events";

// Regression (found by the chaos replay, test/chaos, at a 20% fault rate): after an email change
// at Stripe, a Kit tag job that ran before Kit had moved the subscriber to the new address
// (kit.update_email, retried after a fault) tagged the new address, which names no one in Kit:
// a 404, and the job was dead-lettered, so the tag never went on. (An untag in that window
// "succeeded" on the 404 and left the tag on the subscriber.) A tag job of a customer known in
// Kit now makes a pending move first.

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
}

describe("Kit tags after an email change at Stripe", () => {
  it("moves the subscriber to the new address first, then tags and untags it there", async () => {
    const p = newPurchase({ at: Math.floor(Date.now() / 1000) - 20 * DAY });
    await post(checkoutCompleted(p));
    await post(invoiceEvent(p, "invoice.paid"));
    await post(invoicePaymentPaid(p));
    await stack.drain();
    expect(stack.kit.tagsOf(p.email)).toEqual([stack.ids.activeTag, stack.ids.onboardingTag].sort((a, b) => a - b));

    // Kit refuses the address update twice, so the refund's tag jobs come first.
    stack.kit.fail({ status: 503, method: "PUT", path: /^\/v4\/subscribers\/\d+$/, times: 2 });
    await post(customerUpdated(p, "renamed@example.com", { created: p.at + DAY }));
    await post(chargeRefunded(p, { created: p.at + 2 * DAY }));
    await stack.drain();

    expect(stack.kit.subscriberCount()).toBe(1);
    expect(stack.kit.findSubscriber("renamed@example.com")).toBeDefined();
    expect(stack.kit.tagsOf("renamed@example.com")).toEqual([stack.ids.onboardingTag, stack.ids.refundedTag].sort((a, b) => a - b));
    const dead = await stack.db.sql<{ kind: string }>(`SELECT kind FROM "Job" WHERE status = 'dead'`);
    expect(dead).toEqual([]);
  });
});
