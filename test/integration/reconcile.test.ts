import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyOverride } from "../../lib/admin/overrides";
import { parseEnv } from "../../lib/config";
import { getReconcileRun, postReconcile } from "../../lib/admin/reconcile";
import { createReconcileHandler } from "../../lib/effects/reconcile";
import { createWorker } from "../../lib/jobs/worker";
import { findCustomerId } from "../../lib/record/read";
import { readEntitlementView } from "../../lib/record/entitlement-view";
import type { Drift } from "../../lib/reconcile/classify";
import { readReconcileRun, type ReconcileRunView } from "../../lib/reconcile/requests";
import { reconcile, type ReconcileReport } from "../../lib/reconcile/run";
import { reconcilerForFakes } from "../../lib/sandbox/reconcile";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { createFakeStripe, type FakeStripe } from "../../lib/sandbox/stripe";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";

// Drift planted by hand in the fake Circle, Kit and Stripe (over real HTTP), against the whole
// spine: a dry run reports each drift exactly and changes nothing; a real run repairs what the
// default policy repairs and opens one ticket for the rest; a second run finds nothing new; an
// admin's revoke is left alone.

let stack: Stack;
let stripe: FakeStripe;
let stripeUrl: string;

beforeEach(async () => {
  stack = await startStack({ providerTimeoutMs: 5_000 });
  stripe = createFakeStripe();
  stripeUrl = (await stripe.start()).url;
});
afterEach(async () => {
  await stripe.stop();
  await stack.stop();
});

async function buy(p: Purchase = newPurchase()) {
  for (const event of [checkoutCompleted(p), invoiceEvent(p, "invoice.paid")]) expect((await stack.postStripe(event)).status).toBe(200);
  stripe.addSubscription({ id: p.subscriptionId, customer: { id: p.customerId, email: p.email }, status: "active", priceId: p.priceId });
  return p;
}

const idOf = async (p: Purchase) => (await findCustomerId(stack.db, p.email))!;

async function reconciler() {
  const [{ url: circleUrl }, { url: kitUrl }] = await Promise.all([stack.circle.start(), stack.kit.start()]);
  return reconcilerForFakes({ db: stack.db, catalog: stack.catalog, circleUrl, kitUrl, stripeUrl });
}

/** What a test compares: kind, customer and target of each drift, in a stable order. */
const shape = (drift: readonly Drift[]) =>
  drift.map((item) => ({ kind: item.kind, customerId: item.customerId, target: item.target })).sort((a, b) => `${a.kind}${a.customerId}`.localeCompare(`${b.kind}${b.customerId}`));

/** Every row a run could write, and every write request the fakes served. */
async function sideEffects() {
  const [row] = await stack.db.sql<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM "Job") AS jobs, (SELECT count(*)::int FROM "Ticket") AS tickets, (SELECT count(*)::int FROM "WebhookEvent") AS events,
            (SELECT count(*)::int FROM "DriftNotice") AS notices, (SELECT coalesce(sum(version), 0)::int FROM "AccessGrant") AS "grantVersions",
            (SELECT coalesce(sum(version), 0)::int FROM "EmailTagState") AS "tagVersions", (SELECT count(*)::int FROM "AccessGrant" WHERE state = 'active') AS "activeGrants"`,
  );
  const writes = (requests: Array<{ method: string }>) => requests.filter((request) => request.method !== "GET").length;
  return { ...row, circleWrites: writes(stack.circle.requests()), kitWrites: writes(stack.kit.requests()) };
}

describe("reconciliation against the fake Circle, Kit and Stripe", () => {
  it("reports planted drift exactly, repairs by policy with one ticket for the rest, then finds nothing, and leaves an admin's revoke alone", async () => {
    const removedInCircle = await buy();
    const addedWithoutPayment = await buy();
    const tagRemoved = await buy();
    const accepted = await buy();
    const banned = await buy();
    await stack.drain();
    const community = stack.ids.communityGroup;

    // The refund of one customer arrives; then Circle, Kit and Stripe are changed by hand.
    const refundId = await idOf(addedWithoutPayment);
    expect((await stack.postStripe(chargeRefunded(addedWithoutPayment))).status).toBe(200);
    stripe.updateSubscription(addedWithoutPayment.subscriptionId, { status: "canceled", endedAt: Math.floor(Date.now() / 1000) });
    const bannedId = await idOf(banned);
    const revoke = await applyOverride({ db: stack.db, catalog: stack.catalog }, bannedId, { action: "revokeAccess", reason: "chargeback fraud", accessGroupId: community }, { kind: "token" });
    expect(revoke.ok).toBe(true);
    await stack.drain();
    expect(stack.circle.membersOf(community)).not.toContain(banned.email);
    expect(stack.circle.membersOf(community)).not.toContain(addedWithoutPayment.email);

    stack.circle.removeFromAccessGroupByHand(community, removedInCircle.email);
    stack.circle.addToAccessGroupByHand(community, addedWithoutPayment.email);
    stack.kit.untagByHand(stack.ids.activeTag, tagRemoved.email);
    stack.circle.acceptInvitation(accepted.email);
    const neverCame = newPurchase();
    stripe.addSubscription({ id: neverCame.subscriptionId, customer: { id: neverCame.customerId, email: neverCame.email, name: "Webhooks Lost" }, status: "active", priceId: neverCame.priceId });

    const { deps } = await reconciler();
    const expected = shape([
      { kind: "paid_no_access", customerId: await idOf(removedInCircle), target: { type: "access_group", accessGroupId: community, circleMemberId: expect.any(Number) as number }, banned: false },
      { kind: "access_not_paid", customerId: refundId, target: { type: "access_group", accessGroupId: community, circleMemberId: expect.any(Number) as number }, banned: false },
      { kind: "tag_missing", customerId: await idOf(tagRemoved), target: { type: "tag", tagId: stack.ids.activeTag, subscriberId: null }, banned: false },
      { kind: "invitation_accepted", customerId: await idOf(accepted), target: { type: "access_group", accessGroupId: community, circleMemberId: expect.any(Number) as number }, banned: false },
      {
        kind: "subscription_no_entitlement",
        customerId: null,
        target: { type: "subscription", subscriptionId: neverCame.subscriptionId, stripeCustomerId: neverCame.customerId },
        banned: false,
      },
    ]);

    // The dry run: each drift exactly, nothing written anywhere.
    const before = await sideEffects();
    const dry = await reconcile(deps, { dryRun: true });
    expect(shape(dry.drift)).toEqual(expected);
    expect(dry.drift.map((item) => `${item.kind}:${item.outcome}`).sort()).toEqual(
      ["access_not_paid:would_ticket", "invitation_accepted:would_repair", "paid_no_access:would_repair", "subscription_no_entitlement:would_repair", "tag_missing:would_repair"].sort(),
    );
    expect(dry.providers).toMatchObject({ circle: { status: "done" }, kit: { status: "done" }, stripe: { status: "done" } });
    expect(await sideEffects()).toEqual(before);

    // The real run: four repairs through the outbox and the ledger, one access ticket.
    const real = await reconcile(deps, { dryRun: false });
    expect(shape(real.drift)).toEqual(expected);
    expect(real.outcomes).toMatchObject({ repaired: 4, ticketed: 1, known: 0 });
    const tickets = await stack.db.sql<{ customerId: string; category: string; summary: string }>(`SELECT "customerId", category, summary FROM "Ticket"`);
    expect(tickets).toEqual([{ customerId: refundId, category: "access", summary: expect.stringContaining(`access group ${community}`) as string }]);
    expect(tickets[0]!.summary).not.toContain("@");
    await stack.drain();

    expect(stack.circle.membersOf(community)).toContain(removedInCircle.email);
    expect(stack.kit.tagsOf(tagRemoved.email)).toContain(stack.ids.activeTag);
    const acceptedGrant = await stack.db.sql<{ state: string }>(`SELECT state::text AS state FROM "AccessGrant" WHERE "customerId" = $1`, [await idOf(accepted)]);
    expect(acceptedGrant).toEqual([{ state: "active" }]);
    // The bot reads the grant state: the member who joined is shown in, not "invite pending".
    const view = await readEntitlementView(stack.db, accepted.email, new Map(), new Map([[community, "Community"]]), new Date());
    expect(JSON.stringify(view)).toContain('"state":"active"');
    const lost = await findCustomerId(stack.db, neverCame.email);
    expect(lost).not.toBeNull();
    const entitlement = await stack.db.sql<{ status: string; sourceId: string }>(`SELECT status::text AS status, "sourceId" FROM "Entitlement" WHERE "customerId" = $1`, [lost]);
    expect(entitlement).toEqual([{ status: "active", sourceId: neverCame.subscriptionId }]);
    expect(stack.circle.membersOf(community)).toContain(neverCame.email);
    // The person decides about the member added by hand: still there, and still the one ticket.
    expect(stack.circle.membersOf(community)).toContain(addedWithoutPayment.email);

    // The second run: nothing new; the ticketed drift is known, not asked about again.
    const second: ReconcileReport = await reconcile(deps, { dryRun: false });
    expect(Object.values(second.found).reduce((sum, count) => sum + count, 0)).toBe(0);
    expect(second.drift.map((item) => `${item.kind}:${item.outcome}`)).toEqual(["access_not_paid:known"]);
    expect(await stack.db.sql(`SELECT id FROM "Ticket"`)).toHaveLength(1);

    // The ban holds: never re-granted, never in Circle.
    expect(stack.circle.membersOf(community)).not.toContain(banned.email);
    const bannedGrant = await stack.db.sql<{ state: string }>(`SELECT state::text AS state FROM "AccessGrant" WHERE "customerId" = $1`, [bannedId]);
    expect(bannedGrant).toEqual([{ state: "revoked" }]);
    expect(real.drift.concat(second.drift, dry.drift).some((item) => item.customerId === bannedId)).toBe(false);
  });

  it("reads a provider only when asked, and says when one is not configured", async () => {
    await buy();
    await stack.drain();
    const { deps } = await reconciler();
    const kitOnly = await reconcile(deps, { dryRun: true, providers: ["kit"] });
    expect(Object.keys(kitOnly.providers)).toEqual(["kit"]);
    expect(kitOnly.providers.kit!.requests).toBeGreaterThan(0);
    const withoutStripe = await reconcile({ ...deps, clients: { ...deps.clients, stripe: null } }, { dryRun: true, providers: ["stripe"] });
    expect(withoutStripe.providers.stripe).toMatchObject({ status: "skipped", reason: expect.stringContaining("STRIPE_SECRET_KEY") as string });
  });

  it("runs from the admin API in the worker for an authenticated actor only, audited, one at a time, a dry run by default", async () => {
    const p = await buy();
    await stack.drain();
    stack.kit.untagByHand(stack.ids.activeTag, p.email);
    const { deps } = await reconciler();
    const ADMIN_TOKEN = "admin-token-for-the-reconcile-test-0123";
    const guard = { env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }), db: stack.db, sessionSecret: "session-secret-for-the-reconcile-test-0123456789", reconciler: deps };
    const authorization = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
    const post = (body: string, token: string | null = ADMIN_TOKEN) =>
      postReconcile(new Request("http://test/api/admin/reconcile", { method: "POST", headers: { "content-type": "application/json", ...authorization(token) }, body }), guard);
    const get = async (id: string, token: string | null = ADMIN_TOKEN) => getReconcileRun(new Request(`http://test/api/admin/reconcile/${id}`, { headers: authorization(token) }), guard, id);
    const audits = async () => stack.db.sql<{ actor: string; action: string }>(`SELECT actor, action FROM "AuditLog" WHERE action LIKE 'reconcile.%' ORDER BY "createdAt"`);
    const runs = async () => (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "ReconcileRun"`))[0]!.n;
    // The worker with a reconciler of its own: the stack's has none configured.
    const worker = createWorker({ db: stack.db, handlers: { ...stack.handlers, ...createReconcileHandler(stack.db, deps, 0) }, pollMs: 10 });
    const runWorker = async () => {
      while ((await worker.runOnce()) > 0);
    };

    expect((await post("{}", null)).status).toBe(401);
    expect((await post('{"dryRun":"no"}')).status).toBe(400);
    expect((await post('{"providers":["paypal"]}')).status).toBe(400);
    expect((await post('{"dryRun":true,"actor":"someone-else"}')).status).toBe(400);
    expect(await audits()).toEqual([]);
    expect(await runs()).toBe(0);

    const dry = await post("");
    expect(dry.status).toBe(202);
    const { run } = (await dry.json()) as { run: ReconcileRunView };
    expect(run).toMatchObject({ status: "queued", dryRun: true, actor: "api-token", providers: [], report: null });
    expect(dry.headers.get("location")).toBe(`/api/admin/reconcile/${run.id}`);
    // While it waits, another request is refused with the run to follow, and writes nothing.
    const second = await post('{"dryRun":false}');
    expect(second.status).toBe(409);
    expect(((await second.json()) as { run: ReconcileRunView }).run.id).toBe(run.id);
    expect(await runs()).toBe(1);

    expect((await get(run.id, null)).status).toBe(401);
    expect((await get("not-a-uuid")).status).toBe(400);
    expect((await get("00000000-0000-4000-8000-000000000000")).status).toBe(404);

    await runWorker();
    const done = ((await (await get(run.id)).json()) as { run: ReconcileRunView }).run;
    expect(done).toMatchObject({ status: "done", error: null, report: { dryRun: true, found: { tag_missing: 1 } } });
    expect(JSON.stringify(done.report)).not.toContain("@");

    const real = await post('{"dryRun":false,"providers":["kit"]}');
    expect(real.status).toBe(202);
    const realRun = ((await real.json()) as { run: ReconcileRunView }).run;
    await runWorker();
    const repaired = ((await (await get(realRun.id)).json()) as { run: ReconcileRunView }).run;
    expect(repaired).toMatchObject({ status: "done", dryRun: false, providers: ["kit"] });
    expect(repaired.report!.outcomes.repaired).toBe(1);
    expect(await audits()).toEqual([
      { actor: "api-token", action: "reconcile.dryRun" },
      { actor: "api-token", action: "reconcile.run" },
    ]);
  });

  it("says why a requested run failed: no provider configured in the worker, or the worker giving it up", async () => {
    const { deps } = await reconciler();
    const guard = { env: parseEnv({ ADMIN_TOKEN: "admin-token-for-the-reconcile-test-0123", APP_MODE: "demo" }), db: stack.db, sessionSecret: "session-secret-for-the-reconcile-test-0123456789", reconciler: deps };
    const post = () => postReconcile(new Request("http://test/api/admin/reconcile", { method: "POST", headers: { authorization: "Bearer admin-token-for-the-reconcile-test-0123" } }), guard);
    const read = async (id: string) => (await readReconcileRun(stack.db, id))!;

    // The stack's worker has no reconciler.
    const first = ((await (await post()).json()) as { run: ReconcileRunView }).run;
    await stack.drain();
    expect(await read(first.id)).toMatchObject({ status: "failed", error: expect.stringContaining("no provider is configured") as string });

    // A run whose job was given up (dead) while unfinished is failed, with the job's reason, and
    // no longer stops a new request.
    const second = ((await (await post()).json()) as { run: ReconcileRunView }).run;
    await stack.db.sql(`UPDATE "Job" SET status = 'dead', "lastError" = 'its lease ran out 3 times' WHERE kind = 'reconcile.requested' AND status = 'queued'`);
    expect(await read(second.id)).toMatchObject({ status: "failed", error: "the worker gave the run up: its lease ran out 3 times" });
    expect((await post()).status).toBe(202);
  });
});

describe("reconciliation when a provider fails", () => {
  it("reports the failing provider as stopped with its reason and still reconciles the others", async () => {
    await buy();
    await stack.drain();
    const [{ url: circleUrl }, { url: kitUrl }] = await Promise.all([stack.circle.start(), stack.kit.start()]);
    // Nothing listens on port 1: Stripe is unreachable.
    const { deps } = reconcilerForFakes({ db: stack.db, catalog: stack.catalog, circleUrl, kitUrl, stripeUrl: "http://127.0.0.1:1", timeoutMs: 2_000 });
    const report = await reconcile(deps, { dryRun: true });
    expect(report.providers.circle).toMatchObject({ status: "done" });
    expect(report.providers.kit).toMatchObject({ status: "done" });
    expect(report.providers.stripe).toMatchObject({ status: "stopped" });
    expect((report.providers.stripe as { reason: string }).reason).toMatch(/^stopped: stripe failed \(.+\); 0 of \d+ statuses read$/);
    expect(report.drift.filter((item) => item.kind === "subscription_no_entitlement" || item.kind === "entitlement_no_subscription")).toEqual([]);
  }, 120_000);
});
