import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { circleDrift } from "../../lib/admin/api";
import { parseEnv } from "../../lib/config";
import { findCustomerId } from "../../lib/record/read";
import { createCircleClient } from "../../lib/integrations/circle";
import type { GroupDrift } from "../../lib/reconcile/circle";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase } from "../../lib/sandbox/stripe-events";

// Changes made by hand in Circle, read back through the admin API against the fake Circle over
// HTTP, with a page size small enough that the listing takes several pages.

const ADMIN_TOKEN = "admin-token-for-the-drift-test-0123";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

async function drift(query = "", token: string | null = ADMIN_TOKEN) {
  const { url } = await stack.circle.start();
  return circleDrift(new Request(`http://test/api/admin/drift/circle${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }), {
    env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }),
    db: stack.db,
    sessionSecret: "session-secret-for-the-drift-test-0123456789",
    catalog: stack.catalog,
    circle: createCircleClient({ baseUrl: url, token: FAKE_CIRCLE_TOKEN, timeoutMs: 2_000, pageSize: 2 }),
  });
}

async function buy(priceId = "price_demo_community_monthly") {
  const p = newPurchase({ priceId });
  for (const event of [checkoutCompleted(p), invoiceEvent(p, "invoice.paid", { priceId })]) expect((await stack.postStripe(event)).status).toBe(200);
  return p;
}

describe("Circle drift report", () => {
  it("finds who was removed by hand, who was added back without access, and who is no customer of ours", async () => {
    const inStep = await buy();
    const removedByHand = await buy();
    const refunded = await buy();
    const masterclassOnly = await buy("price_demo_masterclass");
    await stack.drain();
    expect((await stack.postStripe(chargeRefunded(refunded))).status).toBe(200);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup).sort()).toEqual([inStep.email, removedByHand.email].sort());

    const community = stack.ids.communityGroup;
    stack.circle.removeFromAccessGroupByHand(community, removedByHand.email);
    stack.circle.addToAccessGroupByHand(community, refunded.email);
    stack.circle.addToAccessGroupByHand(community, masterclassOnly.email);
    stack.circle.addMember("staff@example.com", "Staff Member");
    stack.circle.addToAccessGroupByHand(community, "staff@example.com");
    stack.circle.addToAccessGroupByHand(community, inStep.email);
    const before = stack.circle.requests().length;

    const response = await drift(`?accessGroupId=${community}`);
    expect(response.status).toBe(200);
    const { groups } = (await response.json()) as { groups: GroupDrift[] };
    expect(groups).toHaveLength(1);
    const [report] = groups;
    const id = async (email: string) => (await findCustomerId(stack.db, email))!;
    expect(report).toMatchObject({ accessGroupId: community, circleMembers: 4 });
    expect(report!.missingInCircle).toEqual([expect.objectContaining({ customerId: await id(removedByHand.email), email: removedByHand.email, state: "invited" })]);
    expect(report!.withoutEntitlement.map(({ email, grantState }) => ({ email, grantState })).sort((a, b) => a.email.localeCompare(b.email))).toEqual(
      [
        { email: refunded.email, grantState: "revoked" },
        { email: masterclassOnly.email, grantState: null },
      ].sort((a, b) => a.email.localeCompare(b.email)),
    );
    expect(report!.unknownMemberIds).toHaveLength(1);
    // Four members at two a page: the listing read every page (and changed nothing).
    expect(stack.circle.requests().slice(before).filter((entry) => entry.method === "GET").length).toBeGreaterThanOrEqual(2);
    expect(stack.circle.requests().slice(before).every((entry) => entry.method === "GET")).toBe(true);
  });

  it("reports every catalog group when none is named", async () => {
    await buy();
    await stack.drain();
    const { groups } = (await (await drift()).json()) as { groups: GroupDrift[] };
    expect(groups.map((group) => group.accessGroupId).sort()).toEqual([stack.ids.communityGroup, stack.ids.masterclassGroup].sort());
    for (const group of groups) expect(group).toMatchObject({ missingInCircle: [], withoutEntitlement: [], unknownMemberIds: [] });
  });

  it("answers 401 without the token, 400 for a group outside the catalog, 502 when Circle fails", async () => {
    expect((await drift("", null)).status).toBe(401);
    expect((await drift("?accessGroupId=999")).status).toBe(400);
    expect((await drift("?accessGroupId=abc")).status).toBe(400);
    stack.circle.fail({ status: 503, times: 100 });
    const response = await drift();
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).not.toContain(FAKE_CIRCLE_TOKEN);
  });
});
