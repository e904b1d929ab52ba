import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHandlers } from "../../lib/effects";
import { createCircleClient } from "../../lib/integrations/circle";
import { createKitClient } from "../../lib/integrations/kit";
import { CIRCLE_PLAN_QUOTAS } from "../../lib/jobs/budget";
import { createWorker } from "../../lib/jobs/worker";
import { reconcile, type ReconcileReport } from "../../lib/reconcile/run";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { reconcilerForFakes } from "../../lib/sandbox/reconcile";
import { startStack, TEST_BACKOFF, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase } from "../../lib/sandbox/stripe-events";

// A month of scheduled reconciliations on a Business plan, on a simulated clock: the requests
// sent to Circle never exceed the plan's 5,000, the reconciler's share (half, spread over the
// days) runs out and the runs stop and say so, and a purchase made then still gets its grant.

const HOUR = 3_600_000;

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ providerTimeoutMs: 5_000 });
});
afterEach(async () => {
  await stack.stop();
});

describe("Circle's monthly quota across a simulated month", () => {
  it("is never exceeded by scheduled reconciliations, which stop when their share is spent while grants still go out", { timeout: 240_000 }, async () => {
    const community = stack.ids.communityGroup;
    for (let index = 0; index < 3; index++) {
      const p = newPurchase();
      for (const event of [checkoutCompleted(p), invoiceEvent(p, "invoice.paid")]) expect((await stack.postStripe(event)).status).toBe(200);
    }
    await stack.drain();
    // A community bigger than a page: each run reads several pages of the group.
    for (let index = 0; index < 1_000; index++) {
      const email = `member-${index}@example.com`;
      stack.circle.addMember(email);
      stack.circle.addToAccessGroupByHand(community, email);
    }

    let simulated = new Date("2027-03-01T00:00:00Z");
    const now = () => simulated;
    const [{ url: circleUrl }, { url: kitUrl }] = await Promise.all([stack.circle.start(), stack.kit.start()]);
    const { deps, main } = reconcilerForFakes({ db: stack.db, catalog: stack.catalog, circleUrl, kitUrl, stripeUrl: null, circlePlan: "business", share: 0.5, now, maxWaitMs: 0 });

    const circleRequestsBefore = stack.circle.requests().length;
    const perDay = new Map<string, number>();
    const stopped: ReconcileReport[] = [];
    let runs = 0;
    // Every two hours for the whole of March.
    for (; simulated.getUTCMonth() === 2; simulated = new Date(simulated.getTime() + 2 * HOUR)) {
      const report = await reconcile(deps, { dryRun: true, providers: ["circle"] });
      runs++;
      const day = simulated.toISOString().slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? 0) + report.providers.circle!.requests);
      if (report.providers.circle!.status === "stopped") stopped.push(report);
    }
    expect(runs).toBe(31 * 12);
    const spentByReconciler = [...perDay.values()].reduce((sum, count) => sum + count, 0);
    const sentToCircle = stack.circle.requests().length - circleRequestsBefore;
    expect(sentToCircle).toBe(spentByReconciler);
    expect(sentToCircle).toBeLessThanOrEqual(CIRCLE_PLAN_QUOTAS.business);
    // Its share: half the month, at most a 31st of it a day.
    expect(spentByReconciler).toBeLessThanOrEqual(CIRCLE_PLAN_QUOTAS.business / 2);
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(Math.floor(CIRCLE_PLAN_QUOTAS.business / 2 / 31));
    expect(spentByReconciler).toBeGreaterThan(0);
    // The share ran out: runs stopped and said why.
    expect(stopped.length).toBeGreaterThan(0);
    const circleStatus = stopped[0]!.providers.circle!;
    expect(circleStatus.status === "stopped" && circleStatus.reason).toMatch(/^stopped: the reconciler's share of circle's daily quota is spent; \d+ of 2 access groups read; it reopens in about \d+ min$/);
    const usage = await main.circle.usage();
    expect(usage.monthUsed).toBeLessThanOrEqual(CIRCLE_PLAN_QUOTAS.business);

    // The last day of the month, the share spent: a purchase's grant still goes out, on the
    // same budget and clock the reconciler drew on.
    simulated = new Date("2027-03-31T20:00:00Z");
    expect((await reconcile(deps, { dryRun: true, providers: ["circle"] })).providers.circle!.status).toBe("stopped");
    const handlers = createHandlers({
      db: stack.db,
      catalog: stack.catalog,
      circle: createCircleClient({ baseUrl: circleUrl, token: FAKE_CIRCLE_TOKEN, timeoutMs: 5_000, beforeRequest: main.circle.take }),
      kit: createKitClient({ baseUrl: kitUrl, apiKey: FAKE_KIT_API_KEY, timeoutMs: 5_000, beforeRequest: main.kit.take }),
      circleBudget: main.circle,
      kitBudget: main.kit,
    });
    await stack.worker.stop();
    const worker = createWorker({ db: stack.db, handlers, concurrency: 2, pollMs: 10, backoff: TEST_BACKOFF });
    const buyer = newPurchase();
    for (const event of [checkoutCompleted(buyer), invoiceEvent(buyer, "invoice.paid")]) expect((await stack.postStripe(event)).status).toBe(200);
    const deadline = Date.now() + 60_000;
    while (!stack.circle.membersOf(community).includes(buyer.email) && Date.now() < deadline) {
      if ((await worker.runOnce()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await worker.stop();
    expect(stack.circle.membersOf(community)).toContain(buyer.email);
    expect((await main.circle.usage()).monthUsed).toBeLessThanOrEqual(CIRCLE_PLAN_QUOTAS.business);
  });
});
