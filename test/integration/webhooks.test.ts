import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { signKitPayload } from "../../lib/webhooks/kit";
import { KIT_SECRET, startStack, STRIPE_SECRET, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, signStripe, stripeEvent } from "../../lib/sandbox/stripe-events";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

const counts = async () => {
  const [row] = await stack.db.sql<{ events: number; jobs: number }>(
    `SELECT (SELECT count(*)::int FROM "WebhookEvent") AS events, (SELECT count(*)::int FROM "Job") AS jobs`,
  );
  return row!;
};

function stripeRequest(body: string, signature: string | null, extraHeaders: Record<string, string> = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", ...extraHeaders };
  if (signature !== null) headers["stripe-signature"] = signature;
  return new Request("http://test/api/webhooks/stripe", { method: "POST", headers, body });
}

describe("Stripe webhook boundary", () => {
  const valid = () => JSON.stringify(checkoutCompleted(newPurchase()));
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ["no signature header", () => stripeRequest(valid(), null), 400, /missing Stripe-Signature/],
    ["a signature made with another secret", () => { const body = valid(); return stripeRequest(body, signStripe(body, "whsec_wrong")); }, 400, /invalid webhook/],
    ["a body changed after signing", () => { const body = valid(); return stripeRequest(body.replace("paid", "unpaid"), signStripe(body, STRIPE_SECRET)); }, 400, /invalid webhook/],
    ["a timestamp older than 300 s", () => { const body = valid(); return stripeRequest(body, signStripe(body, STRIPE_SECRET, now() - 400)); }, 400, /timestamp/i],
    ["a signed body that is not JSON", () => { const body = "{not json"; return stripeRequest(body, signStripe(body, STRIPE_SECRET)); }, 400, /invalid webhook/],
    ["signed JSON that is not an event", () => { const body = JSON.stringify({ hello: "world" }); return stripeRequest(body, signStripe(body, STRIPE_SECRET)); }, 400, /malformed event/],
    [
      "a handled event whose object is malformed",
      () => {
        const event = checkoutCompleted(newPurchase());
        (event.data.object as Record<string, unknown>).payment_status = "sort of";
        const body = JSON.stringify(event);
        return stripeRequest(body, signStripe(body, STRIPE_SECRET));
      },
      400,
      /payment_status/,
    ],
    [
      "a body over 1 MiB",
      () => {
        const event = checkoutCompleted(newPurchase(), { metadata: { price_id: "price_demo_community_monthly", filler: "x".repeat(1024 * 1024) } });
        const body = JSON.stringify(event);
        return stripeRequest(body, signStripe(body, STRIPE_SECRET));
      },
      413,
      /1 MiB/,
    ],
  ])("rejects %s and writes nothing", async (_case, build, status, message) => {
    const response = await stack.postRaw("stripe", build());
    expect(response.status).toBe(status);
    const body = await response.json();
    expect(body.error).toMatch(message);
    expect(JSON.stringify(body)).not.toContain(STRIPE_SECRET);
    expect(await counts()).toEqual({ events: 0, jobs: 0 });
  });

  it("records an unhandled event type as ignored, with no job", async () => {
    const response = await stack.postStripe(stripeEvent({ type: "product.created", created: now(), object: { id: "prod_1" } }));
    expect(response.status).toBe(200);
    expect(await counts()).toEqual({ events: 1, jobs: 0 });
    const [row] = await stack.db.sql<{ outcome: string }>(`SELECT outcome::text FROM "WebhookEvent"`);
    expect(row!.outcome).toBe("ignored");
  });
});

describe("Kit webhook boundary", () => {
  let customerEmail: string;
  const subscriberId = 424242;

  beforeEach(async () => {
    const p = newPurchase();
    customerEmail = p.email;
    await stack.postStripe(checkoutCompleted(p));
    await stack.drain();
  });

  const kitEvent = (type: string, extra: Record<string, unknown> = {}, email = customerEmail) => ({
    id: crypto.randomUUID(),
    type,
    created: new Date().toISOString(),
    data: { subscriber: { id: stack.kit.findSubscriber(email)?.id ?? subscriberId, email_address: email, state: "active" }, ...extra },
  });

  const kitRequest = (body: string, signature: string | null) =>
    new Request("http://test/api/webhooks/kit", {
      method: "POST",
      headers: signature === null ? { "content-type": "application/json" } : { "content-type": "application/json", "x-kit-signature": signature },
      body,
    });

  it("records each event of a batch once, and a redelivery changes nothing", async () => {
    const before = await counts();
    const delivery = { delivery_id: 1, events: [kitEvent("subscriber.unsubscribed"), kitEvent("subscriber.tag_removed", { tag: { id: stack.ids.activeTag, name: "paid_active" } }), kitEvent("subscriber.created")] };
    const first = await stack.postKit(delivery);
    expect(await first.json()).toEqual({ received: 3, duplicates: 0 });
    const again = await stack.postKit(delivery);
    expect(await again.json()).toEqual({ received: 3, duplicates: 3 });
    const after = await counts();
    expect(after.events - before.events).toBe(3);
    expect(after.jobs - before.jobs).toBe(2);
  });

  it("reflects unsubscribes and hand-made tag removals without calling Kit back", async () => {
    const kitCallsBefore = stack.kit.requests().length;
    await stack.postKit({ events: [kitEvent("subscriber.unsubscribed"), kitEvent("subscriber.tag_removed", { tag: { id: stack.ids.activeTag } })] });
    await stack.drain();
    const rec = await getCustomerRecord(stack.db, (await findCustomerId(stack.db, customerEmail))!);
    expect(rec!.customer.emailStatus).toBe("unsubscribed");
    expect(rec!.tags.find((tag) => tag.tag === stack.ids.activeTag)).toMatchObject({ state: "applied", presentInKit: false });
    expect(stack.kit.requests().length).toBe(kitCallsBefore);
  });

  it("ignores Kit events about people who are not customers", async () => {
    await stack.postKit({ events: [kitEvent("subscriber.unsubscribed", {}, "newsletter-only@example.com")] });
    await stack.drain();
    expect(await findCustomerId(stack.db, "newsletter-only@example.com")).toBeNull();
  });

  it("accepts either signature during a secret rotation", async () => {
    const body = JSON.stringify({ events: [kitEvent("subscriber.activated")] });
    const t = Math.floor(Date.now() / 1000);
    const oldSig = signKitPayload(body, "old-secret", t).split(",")[1];
    const newSig = signKitPayload(body, KIT_SECRET, t).split(",")[1];
    const response = await stack.postRaw("kit", kitRequest(body, `t=${t},${oldSig},${newSig}`));
    expect(response.status).toBe(200);
  });

  it.each([
    ["no signature", (body: string) => kitRequest(body, null), 400],
    ["a wrong secret", (body: string) => kitRequest(body, signKitPayload(body, "nope")), 400],
    ["a stale timestamp", (body: string) => kitRequest(body, signKitPayload(body, KIT_SECRET, Math.floor(Date.now() / 1000) - 301)), 400],
    ["a body that is not JSON", () => kitRequest("nope", signKitPayload("nope", KIT_SECRET)), 400],
    ["an empty batch", () => { const body = JSON.stringify({ events: [] }); return kitRequest(body, signKitPayload(body, KIT_SECRET)); }, 400],
    ["101 events", () => { const body = JSON.stringify({ events: Array.from({ length: 101 }, () => kitEvent("subscriber.activated")) }); return kitRequest(body, signKitPayload(body, KIT_SECRET)); }, 400],
    ["one malformed event among good ones", () => { const body = JSON.stringify({ events: [kitEvent("subscriber.activated"), { id: "x", type: "subscriber.bounced" }] }); return kitRequest(body, signKitPayload(body, KIT_SECRET)); }, 400],
    ["a tag event without its tag", () => { const body = JSON.stringify({ events: [kitEvent("subscriber.tag_added")] }); return kitRequest(body, signKitPayload(body, KIT_SECRET)); }, 400],
    ["a body over 1 MiB", () => { const body = JSON.stringify({ events: [kitEvent("subscriber.activated", { pad: "x".repeat(1024 * 1024) })] }); return kitRequest(body, signKitPayload(body, KIT_SECRET)); }, 413],
  ])("rejects %s and writes nothing", async (_case, build, status) => {
    const before = await counts();
    const response = await stack.postRaw("kit", build(JSON.stringify({ events: [kitEvent("subscriber.activated")] })));
    expect(response.status).toBe(status);
    expect((await response.json()).error).toBeTruthy();
    expect(await counts()).toEqual(before);
  });
});
