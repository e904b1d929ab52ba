import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";
import { deliver, drainPatterns, endState, permutations } from "./order-support";

// Regression: a purchase followed by a failed renewal, delivered in reverse or shuffled order,
// ended without the onboarding tag the in-order delivery adds "at the first activation"
// (whether an intermediate fold saw the activation depended on when the apply job ran). The
// end state must be the in-order one for every order and every interleaving of applies.

// Kit allows 120 requests a minute (lib/jobs/budget.ts), which a few runs spend: each order
// runs on a fresh stack.
let stack: Stack;
beforeEach(async () => {
  // A slow answer under load is not a fault here: a generous provider timeout keeps retries out of the end state.
  stack = await startStack({ providerTimeoutMs: 5_000 });
});
afterEach(async () => {
  await stack.stop();
});

const DAY = 86_400;
// Bought 32 days ago; the renewal two days ago failed, so the customer is within the grace window.
const BOUGHT_AT = Math.floor(Date.now() / 1000) - 32 * DAY;

function scenario() {
  const p = newPurchase({ at: BOUGHT_AT });
  const renewalInvoice = `${p.invoiceId}_renewal`;
  const events = {
    checkout: checkoutCompleted(p),
    firstInvoicePaid: invoiceEvent(p, "invoice.paid"),
    renewalFailed: invoiceEvent(p, "invoice.payment_failed", { invoiceId: renewalInvoice, created: p.periodEnd }),
  };
  return { p, renewalInvoice, events };
}

type Names = keyof ReturnType<typeof scenario>["events"];

/** The end state with this run's generated ids replaced by their roles, so runs compare. */
async function normalizedEndState(p: Purchase, renewalInvoice: string) {
  const state = await endState(stack, p.email);
  let text = JSON.stringify(state);
  for (const [id, role] of [[renewalInvoice, "RENEWAL_INVOICE"], [p.subscriptionId, "SUBSCRIPTION"], [p.invoiceId, "FIRST_INVOICE"], [p.email, "EMAIL"]] as const) {
    text = text.split(id).join(role);
  }
  return JSON.parse(text) as typeof state;
}

/** The in-order end state, measured once (runs compare across stacks: their ids are normalized). */
let inOrderState: Awaited<ReturnType<typeof normalizedEndState>> | undefined;

async function run(order: Names[], drainAfter: boolean[]) {
  const { p, renewalInvoice, events } = scenario();
  await deliver(stack, order.map((name) => events[name]), drainAfter);
  return normalizedEndState(p, renewalInvoice);
}

describe("a purchase and a failed renewal, in every order and interleaving", () => {
  const inOrder: Names[] = ["checkout", "firstInvoicePaid", "renewalFailed"];

  it("ends, in order with each event applied before the next, past due within grace and onboarded", async () => {
    const state = await run(inOrder, [true, true]);
    expect(state.entitlements).toMatchObject([{ status: "past_due" }]);
    expect(state.tags).toEqual(
      [stack.ids.activeTag, stack.ids.onboardingTag, stack.ids.pastDueTag].sort((a, b) => a - b).map((tagId) => ({ tagId, state: "applied" })),
    );
    expect(state.kitTags).toContain(stack.ids.onboardingTag);
  });

  it.each(permutations(inOrder).map((order) => [order.join(", "), order] as const))("ends in the in-order state when delivered as %s, for every drain pattern", async (_name, order) => {
    const reference = (inOrderState ??= await run(inOrder, [true, true]));
    for (const pattern of drainPatterns(order.length)) {
      expect({ pattern, state: await run(order, pattern) }).toEqual({ pattern, state: reference });
    }
  });
});
