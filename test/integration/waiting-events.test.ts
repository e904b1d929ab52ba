import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { log } from "../../lib/log";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, subscriptionEvent } from "../../lib/sandbox/stripe-events";

// Stripe delivers out of order: an event that names only a Stripe customer we have not met
// yet waits for the event that identifies them. That is expected, so it is no warning.

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await stack.stop();
});

it("logs an event waiting for its customer at info, then applies it once the customer is known", async () => {
  const warn = vi.spyOn(log, "warn");
  const info = vi.spyOn(log, "info");
  const p = newPurchase();
  expect((await stack.postStripe(subscriptionEvent(p, "customer.subscription.created"))).status).toBe(200);
  await stack.worker.runOnce();
  expect(info).toHaveBeenCalledWith(expect.objectContaining({ kind: "lifecycle.apply", attempt: 1 }), "job waiting for an earlier event; retrying");
  expect(warn).not.toHaveBeenCalled();

  expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  await stack.drain();
  const events = await stack.db.sql<{ outcome: string }>(`SELECT outcome::text AS outcome FROM "WebhookEvent" ORDER BY "providerCreatedAt", type`);
  expect(events.map((event) => event.outcome)).toEqual(["applied", "applied"]);
  expect(warn).not.toHaveBeenCalled();
});
