import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readEntitlementView } from "../../lib/record/entitlement-view";
import { findCustomerId } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";

// Invitations followed (Circle sends no webhook when a member accepts), and Kit's requests per
// purchase, against the fake Circle and Kit over HTTP.

let stack: Stack;
beforeEach(async () => {
  stack = await startStack({ providerTimeoutMs: 5_000 });
});
afterEach(async () => {
  await stack.stop();
});

async function buy(p: Purchase = newPurchase()) {
  for (const event of [checkoutCompleted(p), invoiceEvent(p, "invoice.paid")]) expect((await stack.postStripe(event)).status).toBe(200);
  return p;
}

/** Brings the follow-up checks forward to now, as if their time had come. */
const checksDueNow = () => stack.db.sql(`UPDATE "Job" SET "runAt" = now() WHERE kind = 'circle.invitation_check' AND status = 'queued' RETURNING id`);
const grantState = async (p: Purchase) =>
  (await stack.db.sql<{ state: string }>(`SELECT state::text AS state FROM "AccessGrant" WHERE "customerId" = $1`, [await findCustomerId(stack.db, p.email)]))[0]?.state;
const checks = () => stack.db.sql<{ step: number; status: string; delayMinutes: number }>(
  `SELECT (payload->>'step')::int AS step, status::text AS status, round(EXTRACT(EPOCH FROM ("runAt" - (payload->>'invitedAt')::timestamptz)) / 60)::int AS "delayMinutes"
     FROM "Job" WHERE kind = 'circle.invitation_check' ORDER BY step`,
);

describe("invitations followed", () => {
  it("looks again on the schedule and records active once the member accepted; the bot then says so", async () => {
    const p = await buy();
    await stack.drain();
    expect(await grantState(p)).toBe("invited");
    expect(await checks()).toEqual([{ step: 0, status: "queued", delayMinutes: 10 }]);

    // Not accepted yet: the next look is scheduled an hour after the grant.
    await checksDueNow();
    await stack.drain();
    expect(await grantState(p)).toBe("invited");
    expect((await checks()).map(({ step, status, delayMinutes }) => `${step}:${status}:${delayMinutes}`)).toEqual(["0:succeeded:0", "1:queued:60"]);

    stack.circle.acceptInvitation(p.email);
    await checksDueNow();
    await stack.drain();
    expect(await grantState(p)).toBe("active");
    expect((await checks()).filter((check) => check.status === "queued")).toEqual([]);
    const view = await readEntitlementView(stack.db, p.email, new Map(), new Map([[stack.ids.communityGroup, "Community"]]), new Date());
    expect(JSON.stringify(view)).toContain('"state":"active"');
  });

  it("answers checks due together with one listing of the community when that is fewer requests", async () => {
    const buyers = [await buy(), await buy(), await buy()];
    await stack.drain();
    for (const p of buyers.slice(0, 2)) stack.circle.acceptInvitation(p.email);
    const before = stack.circle.requests().length;
    await checksDueNow();
    await stack.drain();
    const sent = stack.circle.requests().slice(before);
    expect(sent.filter((request) => request.path === "/community_members/search")).toEqual([]);
    expect(sent.filter((request) => request.method === "GET" && request.path === "/community_members")).toHaveLength(1);
    expect(await Promise.all(buyers.map(grantState))).toEqual(["active", "active", "invited"]);
  });
});

describe("Kit requests per purchase", () => {
  it("creates the subscriber once and tags by email: a purchase with two tags takes three requests", async () => {
    const before = stack.kit.requests().length;
    const p = await buy();
    await stack.drain();
    expect(stack.kit.tagsOf(p.email).sort()).toEqual([stack.ids.activeTag, stack.ids.onboardingTag].sort());
    const sent = stack.kit.requests().slice(before).map((request) => `${request.method} ${request.path}`);
    expect(sent.sort()).toEqual(["POST /v4/subscribers", `POST /v4/tags/${stack.ids.activeTag}/subscribers`, `POST /v4/tags/${stack.ids.onboardingTag}/subscribers`].sort());
  });
});
