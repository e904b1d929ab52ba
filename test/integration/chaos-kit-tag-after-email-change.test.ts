import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, customerUpdated, invoiceEvent, invoicePaymentPaid, newPurchase } from "../../lib/sandbox/stripe-events";

// Regression (found by the chaos replay, test/chaos, at a 20% fault rate): after an email change
// at Stripe, a Kit tag job that ran before Kit had moved the subscriber to the new address
// (kit.update_email, retried after a fault) tagged the new address, which names no one in Kit:
// a 404, and the job was dead-lettered, so the tag never went on. (An untag in that window
// "succeeded" on the 404 and left the tag on the subscriber.) A tag job of a customer known in
// Kit now makes a pending move first.
//
// Second regression (the chaos replay under CI load): the email change committed while the first
// tag job was creating the subscriber under the old address. The change found no subscriber to
// move, the job then linked the one it had created, and every later tag of the new address was a
// 404 and a dead letter. Linking now queues the move when the address changed meanwhile.

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

/** A purchase 20 days ago, paid: its checkout, invoice and payment delivered (not yet applied). */
async function paidPurchase() {
  const p = newPurchase({ at: Math.floor(Date.now() / 1000) - 20 * DAY });
  await post(checkoutCompleted(p));
  await post(invoiceEvent(p, "invoice.paid"));
  await post(invoicePaymentPaid(p));
  return p;
}

describe("Kit tags after an email change at Stripe", () => {
  it("moves the subscriber to the new address first, then tags and untags it there", async () => {
    const p = await paidPurchase();
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

  it("moves a subscriber created under the old address while the email changed, then tags it at the new one", async () => {
    // Kit takes its time creating the subscriber: the email change is applied meanwhile.
    stack.kit.fail({ delayMs: 1_500, method: "POST", path: /^\/v4\/subscribers$/, times: 1 });
    const p = await paidPurchase();
    // The running worker (not drain's batches): the email change's fold runs while the first tag job waits for Kit.
    stack.worker.start();
    await expect.poll(() => stack.kit.requests().some((r) => r.method === "POST" && r.path === "/v4/subscribers"), { timeout: 10_000 }).toBe(true);
    await post(customerUpdated(p, "renamed@example.com", { created: p.at + DAY }));
    await expect.poll(() => stack.kit.tagsOf("renamed@example.com").length, { timeout: 15_000 }).toBe(2);
    await stack.worker.stop();
    await stack.drain();

    expect(stack.kit.subscriberCount()).toBe(1);
    expect(stack.kit.findSubscriber(p.email)).toBeUndefined();
    expect(stack.kit.tagsOf("renamed@example.com")).toEqual([stack.ids.activeTag, stack.ids.onboardingTag].sort((a, b) => a - b));
    const dead = await stack.db.sql<{ kind: string }>(`SELECT kind FROM "Job" WHERE status = 'dead'`);
    expect(dead).toEqual([]);
    const tags = await stack.db.sql<{ state: string }>(`SELECT state::text AS state FROM "EmailTagState" ORDER BY "tagId"`);
    expect(tags.map((tag) => tag.state)).toEqual(["applied", "applied"]);
  });

  it("follows an address changed away and back again: each change is a move of its own", async () => {
    const p = await paidPurchase();
    await stack.drain();
    for (const [day, email] of [[1, "second@example.com"], [2, p.email], [3, "second@example.com"]] as const) {
      await post(customerUpdated(p, email, { created: p.at + day * DAY }));
      await stack.drain();
      expect(stack.kit.findSubscriber(email)).toBeDefined();
    }
    await post(chargeRefunded(p, { created: p.at + 4 * DAY }));
    await stack.drain();

    expect(stack.kit.subscriberCount()).toBe(1);
    expect(stack.kit.tagsOf("second@example.com")).toEqual([stack.ids.onboardingTag, stack.ids.refundedTag].sort((a, b) => a - b));
    const dead = await stack.db.sql<{ kind: string }>(`SELECT kind FROM "Job" WHERE status = 'dead'`);
    expect(dead).toEqual([]);
  });

  it("makes one subscriber when a tag job that read the new address runs while one that read the old address creates it", async () => {
    // The first creation takes its time; the email change, and the refund's tag jobs (which read
    // the new address), come meanwhile.
    stack.kit.fail({ delayMs: 3_000, method: "POST", path: /^\/v4\/subscribers$/, times: 1 });
    const p = await paidPurchase();
    stack.worker.start();
    await expect.poll(() => stack.kit.requests().some((r) => r.method === "POST" && r.path === "/v4/subscribers"), { timeout: 10_000 }).toBe(true);
    await post(customerUpdated(p, "renamed@example.com", { created: p.at + DAY }));
    await post(chargeRefunded(p, { created: p.at + 2 * DAY }));
    await expect.poll(() => stack.kit.tagsOf("renamed@example.com"), { timeout: 20_000 }).toEqual([stack.ids.onboardingTag, stack.ids.refundedTag].sort((a, b) => a - b));
    await stack.worker.stop();
    await stack.drain();

    expect(stack.kit.subscriberCount()).toBe(1);
    expect(stack.kit.tagsOf("renamed@example.com")).toEqual([stack.ids.onboardingTag, stack.ids.refundedTag].sort((a, b) => a - b));
    const dead = await stack.db.sql<{ kind: string }>(`SELECT kind FROM "Job" WHERE status = 'dead'`);
    expect(dead).toEqual([]);
  });
});
