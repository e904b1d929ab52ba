import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, invoiceEvent, invoicePaymentPaid, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";
import { deliver, drainPatterns, endState, permutations } from "./order-support";

// Regression: a refund delivered before its purchase left different grant (and tag) rows than
// the in-order delivery, which grants Circle access and then revokes it: the refund-first
// delivery never held the grant, so it wrote no row at all. The end state must be the in-order
// one whatever the order and whenever the applies ran.

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

const BOUGHT_AT = Math.floor(Date.now() / 1000) - 2 * 86_400;

function scenario() {
  const p = newPurchase({ at: BOUGHT_AT });
  return {
    p,
    events: {
      checkout: checkoutCompleted(p),
      invoicePaid: invoiceEvent(p, "invoice.paid"),
      paymentLinked: invoicePaymentPaid(p, { created: p.at + 1 }),
      refund: chargeRefunded(p),
    },
  };
}

type Names = keyof ReturnType<typeof scenario>["events"];

async function normalizedEndState(p: Purchase) {
  const state = await endState(stack, p.email);
  let text = JSON.stringify(state);
  for (const [id, role] of [[p.subscriptionId, "SUBSCRIPTION"], [p.invoiceId, "INVOICE"], [p.chargeId, "CHARGE"], [p.email, "EMAIL"]] as const) text = text.split(id).join(role);
  return JSON.parse(text) as typeof state;
}

/** The in-order end state, measured once (runs compare across stacks: their ids are normalized). */
let inOrderState: Awaited<ReturnType<typeof normalizedEndState>> | undefined;

async function run(order: Names[], drainAfter: boolean[]) {
  const { p, events } = scenario();
  await deliver(stack, order.map((name) => events[name]), drainAfter);
  return normalizedEndState(p);
}

const everyEvent: Names[] = ["checkout", "invoicePaid", "paymentLinked", "refund"];
const drainEach = [true, true, true];
const drainAtEnd = [false, false, false];

describe("a purchase and its refund, in every order and interleaving", () => {
  it("ends, in order, refunded with the grant revoked and the active tag removed", async () => {
    const state = await run(everyEvent, drainEach);
    expect(state.entitlements).toMatchObject([{ status: "refunded" }]);
    expect(state.grants).toEqual([{ accessGroupId: stack.ids.communityGroup, state: "revoked" }]);
    expect(state.tags).toContainEqual({ tagId: stack.ids.activeTag, state: "removed" });
    expect(state.tags).toContainEqual({ tagId: stack.ids.refundedTag, state: "applied" });
    expect(state.circleGroups).toEqual([]);
    expect(state.journeys.map((journey) => journey.kind)).toEqual(["purchase", "refund"]);
  });

  it.each(permutations(everyEvent).map((order) => [order.join(", "), order] as const))(
    "ends in the in-order state when delivered as %s, each applied at once or all together",
    async (_name, order) => {
      const reference = (inOrderState ??= await run(everyEvent, drainEach));
      for (const pattern of [drainEach, drainAtEnd]) {
        expect({ pattern, state: await run(order, pattern) }).toEqual({ pattern, state: reference });
      }
    },
  );

  it.each(drainPatterns(2).map((pattern) => [pattern.join(","), pattern] as const))(
    "ends refunded with the same rows when the refund comes first and names no payment we know (drain %s)",
    async (_name, pattern) => {
      const reference = await run(["checkout", "refund"], [true]);
      expect(await run(["refund", "checkout"], pattern)).toEqual(reference);
      expect(reference.grants).toEqual([{ accessGroupId: stack.ids.communityGroup, state: "revoked" }]);
    },
  );
});
