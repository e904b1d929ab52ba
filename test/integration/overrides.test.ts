import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getAuditTrail, postOverride } from "../../lib/admin/overrides";
import { parseEnv } from "../../lib/config";
import { recheckCustomer, rederiveRecord } from "../../lib/record/apply";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { requestInviteResend } from "../../lib/record/resend";
import { customerLockKey, lockKeys, mergeInto } from "../../lib/record/store";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase, subscriptionEvent, type Purchase } from "../../lib/sandbox/stripe-events";

// An admin's overrides through the route's handler, against the whole spine (the real webhook
// handlers, the worker, fake Circle and Kit). Calls carry the bearer ADMIN_TOKEN, so the audit
// actor is "api-token" whatever the body says.

const ADMIN_TOKEN = "admin-token-for-the-overrides-test-01";

let stack: Stack;
let deps: Parameters<typeof postOverride>[1];
beforeEach(async () => {
  stack = await startStack();
  deps = {
    env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }),
    db: stack.db,
    catalog: stack.catalog,
    sessionSecret: "session-secret-for-the-overrides-test-0123456789",
  };
});
afterEach(async () => {
  await stack.stop();
});

type Answer = { status: number; body: Record<string, unknown> & { audit?: AuditJson; error?: string; version?: string } };
type AuditJson = { id: string; actor: string; action: string; reason: string; before: Record<string, unknown>; after: Record<string, unknown>; at: string };

async function override(customerId: string, body: unknown, token: string | null = ADMIN_TOKEN): Promise<Answer> {
  const response = await postOverride(
    new Request(`http://test/api/admin/customers/${customerId}/overrides`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }),
    deps,
    customerId,
  );
  return { status: response.status, body: await response.json() };
}

async function deliver(...events: object[]) {
  for (const event of events) expect((await stack.postStripe(event)).status).toBe(200);
  await stack.drain();
}

async function buyer(p: Purchase = newPurchase()) {
  await deliver(checkoutCompleted(p), invoiceEvent(p, "invoice.paid"));
  return { p, id: (await findCustomerId(stack.db, p.email))! };
}

const record = async (id: string) => (await getCustomerRecord(stack.db, id))!;
const renewal = (p: Purchase, days: number) => invoiceEvent(p, "invoice.paid", { created: p.at + days * 86400, invoiceId: `in_renewal_${days}_${p.customerId}` });

/** Every row an override may write, as one comparable value. */
async function writable() {
  const [row] = await stack.db.sql(
    `SELECT (SELECT count(*)::int FROM "Override") AS overrides, (SELECT count(*)::int FROM "AuditLog") AS audits,
            (SELECT count(*)::int FROM "EmailAlias") AS aliases,
            (SELECT string_agg(concat(id, status, "updatedAt"), ',' ORDER BY id) FROM "Job") AS jobs,
            (SELECT string_agg(concat(id, state, version), ',' ORDER BY id) FROM "AccessGrant") AS grants,
            (SELECT string_agg(concat(id, state, version), ',' ORDER BY id) FROM "EmailTagState") AS tags,
            (SELECT string_agg(concat(id, "endedAt"), ',' ORDER BY id) FROM "Journey") AS journeys,
            (SELECT string_agg(concat(id, "mergedIntoId"), ',' ORDER BY id) FROM "Customer") AS customers`,
  );
  return row;
}

const circleAdds = (group: number) =>
  stack.circle.requests().filter((r) => r.method === "POST" && r.path === `/access_groups/${group}/community_members` && r.status !== null && r.status < 300).length;

describe("refused overrides write nothing", () => {
  it.each<[string, (id: string, version: string) => [string, unknown, string | null], number, RegExp]>([
    ["no reason", (id) => [id, { action: "revokeAccess", accessGroupId: stack.ids.communityGroup }, ADMIN_TOKEN], 400, /^reason: /],
    ["a reason too short", (id) => [id, { action: "revokeAccess", reason: " x ", accessGroupId: stack.ids.communityGroup }, ADMIN_TOKEN], 400, /^reason: /],
    ["a group not in the catalog", (id) => [id, { action: "grantAccess", reason: "comp", accessGroupId: 987654 }, ADMIN_TOKEN], 400, /^accessGroupId: /],
    ["an unknown customer", () => [crypto.randomUUID(), { action: "revokeAccess", reason: "chargeback", accessGroupId: stack.ids.communityGroup }, ADMIN_TOKEN], 404, /no customer/],
    [
      "a stale form",
      (id) => [id, { action: "revokeAccess", reason: "chargeback", accessGroupId: stack.ids.communityGroup, expectedVersion: "0".repeat(32) }, ADMIN_TOKEN],
      409,
      /changed since the form was loaded/,
    ],
    ["an unknown journey", (id) => [id, { action: "endJourney", reason: "done", journeyId: crypto.randomUUID() }, ADMIN_TOKEN], 404, /no journey/],
    [
      "clearing an override there is not",
      (id) => [id, { action: "clearOverride", reason: "undo the goodwill grant", scope: "access", targetId: stack.ids.communityGroup }, ADMIN_TOKEN],
      409,
      /^no override on access group \d+ to clear$/,
    ],
    ["clearing an override of no known kind", (id) => [id, { action: "clearOverride", reason: "undo", scope: "plan", targetId: 1 }, ADMIN_TOKEN], 400, /^scope: access or tag/],
    ["no token", (id) => [id, { action: "revokeAccess", reason: "chargeback", accessGroupId: stack.ids.communityGroup }, null], 401, /sign in/],
  ])("%s", async (_case, request, status, error) => {
    const { id } = await buyer();
    const before = await writable();
    const [customerId, body, token] = request(id, (await record(id)).version);
    const answer = await override(customerId, body, token);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatch(error);
    expect(await writable()).toEqual(before);
  });

  it("answers a stale form with the record's current version, which then goes through", async () => {
    const { id, p } = await buyer();
    const loaded = (await record(id)).version;
    await deliver(renewal(p, 30));
    const stale = await override(id, { action: "revokeAccess", reason: "chargeback", accessGroupId: stack.ids.communityGroup, expectedVersion: loaded });
    expect(stale.status).toBe(409);
    expect(stale.body.version).toBe((await record(id)).version);
    const fresh = await override(id, { action: "revokeAccess", reason: "chargeback", accessGroupId: stack.ids.communityGroup, expectedVersion: stale.body.version });
    expect(fresh.status).toBe(202);
    expect(fresh.body.version).toBe((await record(id)).version);
    expect(fresh.body.version).not.toBe(stale.body.version);
  });

  it("keeps the version while jobs only carry out what was decided", async () => {
    const p = newPurchase();
    await stack.postStripe(checkoutCompleted(p));
    await stack.worker.runOnce(); // the apply job: grant and tags decided, not yet carried out
    const id = (await findCustomerId(stack.db, p.email))!;
    const decided = (await record(id)).version;
    await stack.drain();
    expect((await record(id)).access).toMatchObject([{ state: "invited" }]);
    expect((await record(id)).version).toBe(decided);
  });
});

describe("one transaction", () => {
  it("writes the override, its job and its audit row together", async () => {
    const { id } = await buyer();
    const answer = await override(id, { action: "revokeAccess", reason: "chargeback fraud", accessGroupId: stack.ids.communityGroup });
    expect(answer.status).toBe(202);
    const [audit] = await stack.db.sql<{ createdAt: Date; correlationId: string }>(
      `SELECT "createdAt", "correlationId" FROM "AuditLog" WHERE action = 'override.revokeAccess' AND "customerId" = $1`,
      [id],
    );
    const [job] = await stack.db.sql<{ createdAt: Date; status: string }>(
      `SELECT "createdAt", status::text AS status FROM "Job" WHERE kind = 'circle.revoke' AND "customerId" = $1`,
      [id],
    );
    // now() is the transaction's start: the same instant for every row one transaction writes.
    expect(job!.createdAt.getTime()).toBe(audit!.createdAt.getTime());
    expect(job!.status).toBe("queued");
    expect(answer.body.audit).toMatchObject({ action: "override.revokeAccess", reason: "chargeback fraud", actor: "api-token" });
    expect(answer.body.audit!.after).toMatchObject({ override: "deny", state: "revoked", jobs: [`circle.revoke ${stack.ids.communityGroup} v2`] });
    expect(answer.body.audit!.before).toMatchObject({ override: null, state: "invited" });
  });

  it("leaves neither the override nor its job when the audit row cannot be written", async () => {
    const { id } = await buyer();
    const before = await writable();
    await stack.db.script(`
      CREATE FUNCTION refuse_override_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit log refused'; END $$;
      CREATE TRIGGER refuse_override_audit BEFORE INSERT ON "AuditLog" FOR EACH ROW WHEN (NEW.action LIKE 'override.%')
        EXECUTE FUNCTION refuse_override_audit();`);
    try {
      await expect(override(id, { action: "revokeAccess", reason: "chargeback fraud", accessGroupId: stack.ids.communityGroup })).rejects.toThrow(/audit log refused/);
    } finally {
      await stack.db.script(`DROP TRIGGER refuse_override_audit ON "AuditLog"; DROP FUNCTION refuse_override_audit();`);
    }
    expect(await writable()).toEqual(before);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toHaveLength(1);
  });
});

describe("access and tags", () => {
  it("keeps a revoked customer out when a later invoice.paid arrives (a ban)", async () => {
    const { id, p } = await buyer();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect((await override(id, { action: "revokeAccess", reason: "chargeback fraud", accessGroupId: stack.ids.communityGroup })).status).toBe(202);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    const addsBefore = circleAdds(stack.ids.communityGroup);

    await deliver(renewal(p, 30));
    await recheckCustomer(stack.db, stack.catalog, id);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    expect(circleAdds(stack.ids.communityGroup)).toBe(addsBefore);
    const rec = await record(id);
    expect(rec.entitlements).toMatchObject([{ status: "active" }]);
    expect(rec.access).toMatchObject([{ accessGroupId: stack.ids.communityGroup, state: "revoked" }]);
    expect(rec.overrides).toMatchObject([{ scope: "access", targetId: stack.ids.communityGroup, effect: "deny", reason: "chargeback fraud", actor: "api-token" }]);
  });

  it("grants a refunded customer access, and the latest decision wins", async () => {
    const p = newPurchase();
    const { id } = await buyer(p);
    await deliver(chargeRefunded(p));
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);

    expect((await override(id, { action: "grantAccess", reason: "goodwill after the outage", accessGroupId: stack.ids.communityGroup })).status).toBe(202);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    let rec = await record(id);
    expect(rec.entitlements).toMatchObject([{ status: "refunded" }]);
    expect(rec.access).toMatchObject([{ state: "invited" }]);

    expect((await override(id, { action: "revokeAccess", reason: "goodwill period over", accessGroupId: stack.ids.communityGroup })).status).toBe(202);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    rec = await record(id);
    expect(rec.overrides).toEqual([expect.objectContaining({ effect: "deny", reason: "goodwill period over" })]);
  });

  it("clears a goodwill grant: the refunded customer follows the refund again, and the clearing is audited", async () => {
    const p = newPurchase();
    const { id } = await buyer(p);
    await deliver(chargeRefunded(p));
    expect((await override(id, { action: "grantAccess", reason: "goodwill after the outage", accessGroupId: stack.ids.communityGroup })).status).toBe(202);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);

    const cleared = await override(id, { action: "clearOverride", reason: "goodwill period over", scope: "access", targetId: stack.ids.communityGroup });
    expect(cleared.status).toBe(202);
    expect(cleared.body.audit).toMatchObject({
      action: "override.clearOverride",
      actor: "api-token",
      reason: "goodwill period over",
      before: { accessGroupId: stack.ids.communityGroup, override: "allow" },
      after: { accessGroupId: stack.ids.communityGroup, override: null, state: "revoked", jobs: [expect.stringMatching(/^circle\.revoke /)] },
    });
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);
    const rec = await record(id);
    expect(rec.overrides).toEqual([]);
    expect(rec.access).toMatchObject([{ state: "revoked" }]);
    // Cleared, not banned: a new purchase grants access as any purchase does.
    const again = { ...newPurchase(), email: p.email };
    await deliver(checkoutCompleted(again), invoiceEvent(again, "invoice.paid"));
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
  });

  it("clears a removed tag: the member's tag comes back with the next derive", async () => {
    const { id, p } = await buyer();
    expect((await override(id, { action: "removeTag", reason: "asked for no member emails", tagId: stack.ids.activeTag })).status).toBe(202);
    await stack.drain();
    expect(stack.kit.tagsOf(p.email)).not.toContain(stack.ids.activeTag);
    expect((await override(id, { action: "clearOverride", reason: "opted back in by email", scope: "tag", targetId: stack.ids.activeTag })).status).toBe(202);
    await stack.drain();
    expect(stack.kit.tagsOf(p.email)).toContain(stack.ids.activeTag);
    expect((await record(id)).overrides).toEqual([]);
  });

  it("takes a tag off and keeps it off; puts a tag on", async () => {
    const { id, p } = await buyer();
    expect(stack.kit.tagsOf(p.email)).toContain(stack.ids.activeTag);
    expect((await override(id, { action: "removeTag", reason: "asked for no member emails", tagId: stack.ids.activeTag })).status).toBe(202);
    expect((await override(id, { action: "addTag", reason: "opted in to promotions by phone", tagId: stack.ids.promoTag })).status).toBe(202);
    await stack.drain();
    await deliver(renewal(p, 30));
    expect(stack.kit.tagsOf(p.email)).not.toContain(stack.ids.activeTag);
    expect(stack.kit.tagsOf(p.email)).toContain(stack.ids.promoTag);
    const tags = new Map((await record(id)).tags.map((tag) => [tag.tag, tag.state]));
    expect(tags.get(stack.ids.activeTag)).toBe("removed");
    expect(tags.get(stack.ids.promoTag)).toBe("applied");
  });
});

describe("journeys and invites", () => {
  it("ends a journey, which stays ended after a later event", async () => {
    const { id, p } = await buyer();
    const [journey] = (await record(id)).journeys;
    expect(journey).toMatchObject({ kind: "purchase", endedAt: null });
    const answer = await override(id, { action: "endJourney", reason: "moved to an invoiced contract", journeyId: journey!.id });
    expect(answer.status).toBe(202);
    expect(answer.body.audit!.before).toMatchObject({ journeyId: journey!.id, endedAt: null });
    const endedAt = (await record(id)).journeys[0]!.endedAt;
    expect(endedAt).not.toBeNull();

    await deliver(renewal(p, 30));
    expect((await record(id)).journeys).toEqual([expect.objectContaining({ id: journey!.id, endedAt })]);
    const again = await override(id, { action: "endJourney", reason: "twice", journeyId: journey!.id });
    expect(again.status).toBe(409);
  });

  it("resends an invite for an admin without the chat's window, which counts it", async () => {
    const { id, p } = await buyer();
    const grants = () => stack.db.sql(`SELECT id FROM "Job" WHERE kind = 'circle.grant' AND "customerId" = $1`, [id]);
    expect(await grants()).toHaveLength(1);
    expect((await override(id, { action: "resendInvite", reason: "invite went to spam" })).status).toBe(202);
    await stack.drain();
    const second = await override(id, { action: "resendInvite", reason: "still not there" });
    expect(second.status).toBe(202);
    expect(second.body.audit!.after).toMatchObject({ grants: [{ accessGroupId: stack.ids.communityGroup, state: "pending", version: 3 }] });
    await stack.drain();
    expect(await grants()).toHaveLength(3);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);
    expect(await requestInviteResend(stack.db, p.email)).toMatchObject({ result: "already_queued" });

    stack.circle.acceptInvitation(p.email);
    expect((await override(id, { action: "resendInvite", reason: "one more" })).status).toBe(202);
    await stack.drain();
    expect((await record(id)).access).toMatchObject([{ state: "active" }]);
    const nothing = await override(id, { action: "resendInvite", reason: "and again" });
    expect(nothing).toMatchObject({ status: 409, body: { error: "nothing to resend: community access is active already" } });
  });
});

describe("links and merges", () => {
  it("links a Stripe customer, adopting the event that waited for it, and converges", async () => {
    const { id, p } = await buyer();
    const second = newPurchase({ priceId: "price_demo_masterclass" });
    // A subscription snapshot names only its Stripe customer: nobody is known by it.
    await deliver(subscriptionEvent(second, "customer.subscription.created"));
    expect(stack.circle.membersOf(stack.ids.masterclassGroup)).toEqual([]);

    const answer = await override(id, { action: "linkStripeCustomer", reason: "second card, same person", stripeCustomerId: second.customerId });
    expect(answer.status).toBe(202);
    expect(answer.body.audit!.after).toMatchObject({ stripeCustomerId: second.customerId, adoptedEvents: 1 });
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.masterclassGroup)).toEqual([p.email]);
    const rec = await record(id);
    expect(rec.entitlements.map((e) => e.plan).sort()).toEqual(["community_monthly", "masterclass"]);
    const outcomes = await stack.db.sql<{ outcome: string }>(`SELECT outcome::text AS outcome FROM "WebhookEvent" WHERE "customerId" = $1`, [id]);
    expect(outcomes.every((row) => row.outcome === "applied")).toBe(true);
    expect((await stack.db.sql(`SELECT id FROM "Job" WHERE status = 'dead'`)).length).toBe(0);

    const other = await buyer();
    const taken = await override(id, { action: "linkStripeCustomer", reason: "mine", stripeCustomerId: other.p.customerId });
    expect(taken).toMatchObject({ status: 409, body: { suggest: { action: "merge", otherCustomerId: other.id } } });
  });

  it("links a second email: its unclaimed events are adopted and later events resolve here", async () => {
    const { id, p } = await buyer();
    const work = "ada.at.work@example.com";
    const subscriber = stack.kit.findSubscriber(p.email)!;
    const kitEvent = {
      id: crypto.randomUUID(),
      type: "subscriber.unsubscribed",
      created: new Date().toISOString(),
      data: { subscriber: { id: subscriber.id + 1000, email_address: work, state: "cancelled" } },
    };
    expect((await stack.postKit({ events: [kitEvent] })).status).toBe(200);
    await stack.drain();
    expect((await record(id)).customer.emailStatus).toBe("active");

    const answer = await override(id, { action: "linkEmail", reason: "uses the work address now", email: "  Ada.At.Work@Example.com" });
    expect(answer.status).toBe(202);
    expect(answer.body.audit!.after).toMatchObject({ email: work, adoptedEvents: 1 });
    let rec = await record(id);
    expect(rec.aliases).toEqual([work]);
    expect(rec.customer.emailStatus).toBe("unsubscribed");
    expect(await findCustomerId(stack.db, work)).toBe(id);

    // A purchase under the linked address joins this customer.
    await deliver(checkoutCompleted(newPurchase({ email: work, priceId: "price_demo_masterclass" })));
    expect(await stack.db.sql(`SELECT id FROM "Customer"`)).toHaveLength(1);
    rec = await record(id);
    expect(rec.entitlements).toHaveLength(2);

    const other = await buyer();
    const taken = await override(id, { action: "linkEmail", reason: "mine", email: other.p.email });
    expect(taken).toMatchObject({ status: 409, body: { suggest: { action: "merge", otherCustomerId: other.id } } });
    expect((await override(id, { action: "linkEmail", reason: "twice", email: work })).status).toBe(409);
    expect((await override(id, { action: "linkEmail", reason: "own", email: p.email })).status).toBe(409);
  });

  it("merges a purchase made with an email typo into the real customer: one customer holds access", async () => {
    const typo = newPurchase({ email: "ada@exmaple.com" });
    const { id: typoId } = await buyer(typo);
    const real = newPurchase({ email: "ada@example.com", priceId: "price_demo_masterclass" });
    const { id: realId } = await buyer(real);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([typo.email]);

    const answer = await override(realId, { action: "merge", reason: "paid with a typo in the email", otherCustomerId: typoId, actor: "admin:someone-else" });
    expect(answer.status).toBe(202);
    expect(answer.body.audit).toMatchObject({ actor: "api-token", action: "override.merge" });
    expect(answer.body.audit!.after).toMatchObject({ mergedFrom: typoId, moved: { stripeIds: expect.arrayContaining([typo.customerId]), emails: [typo.email] } });
    await stack.drain();

    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([real.email]);
    expect(stack.circle.membersOf(stack.ids.masterclassGroup)).toEqual([real.email]);
    expect(stack.kit.tagsOf(typo.email)).not.toContain(stack.ids.activeTag);
    const merged = await record(realId);
    expect(merged.entitlements.map((e) => e.plan).sort()).toEqual(["community_monthly", "masterclass"]);
    expect(merged.journeys).toHaveLength(2);
    const left = await record(typoId);
    expect(left.customer.mergedIntoId).toBe(realId);
    expect(left.entitlements).toEqual([]);
    expect(left.access).toMatchObject([{ state: "revoked" }]);

    // Whatever names the typo record now reaches the real one.
    expect(await findCustomerId(stack.db, typo.email)).toBe(realId);
    expect(await findCustomerId(stack.db, typoId)).toBe(realId);
    await deliver(renewal(typo, 30));
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([real.email]);
    expect(await stack.db.sql(`SELECT id FROM "Customer" WHERE "mergedIntoId" IS NULL`)).toHaveLength(1);

    expect((await override(realId, { action: "merge", reason: "again", otherCustomerId: realId })).status).toBe(400);
    expect((await override(realId, { action: "merge", reason: "again", otherCustomerId: typoId })).status).toBe(409);
    expect((await override(typoId, { action: "grantAccess", reason: "on the merged record", accessGroupId: stack.ids.communityGroup })).status).toBe(409);
  });
});

describe("an event racing a merge", () => {
  it("lands on the record the merge kept", async () => {
    const typo = newPurchase({ email: "grace@exmaple.com" });
    const { id: typoId } = await buyer(typo);
    const { id: realId, p: real } = await buyer(newPurchase({ email: "grace@example.com", priceId: "price_demo_masterclass" }));
    expect((await stack.postStripe(renewal(typo, 30))).status).toBe(200);
    // The merge holds both records' locks while the worker picks up the renewal: on PostgreSQL
    // the renewal resolves to the typo record, waits for its lock, finds it merged and starts
    // again (on PGlite, one connection, it runs after the merge).
    let applying: Promise<void> = Promise.resolve();
    await stack.db.transaction(async (tx) => {
      await lockKeys(tx, [customerLockKey(realId), customerLockKey(typoId)]);
      applying = stack.drain();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await mergeInto(tx, typoId, realId);
      await rederiveRecord(tx, stack.catalog, typoId, new Date(), "race-test");
      await rederiveRecord(tx, stack.catalog, realId, new Date(), "race-test");
    });
    await applying;
    await stack.drain();
    const events = await stack.db.sql<{ customerId: string; outcome: string }>(`SELECT "customerId", outcome::text AS outcome FROM "WebhookEvent"`);
    expect(events.every((event) => event.customerId === realId && event.outcome === "applied")).toBe(true);
    expect((await record(typoId)).entitlements).toEqual([]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([real.email]);
    expect((await stack.db.sql(`SELECT id FROM "Job" WHERE status = 'dead'`)).length).toBe(0);
  });
});

describe("audit trail", () => {
  it("records the authenticated actor, whatever the body names, and lists the trail newest first", async () => {
    const { id } = await buyer();
    const body = { action: "addTag", reason: "asked for promotions", tagId: stack.ids.promoTag, actor: "admin:mallory@example.com", admin: "mallory" };
    expect((await override(id, body)).status).toBe(202);
    expect((await override(id, { action: "revokeAccess", reason: "chargeback", accessGroupId: stack.ids.communityGroup })).status).toBe(202);

    const get = (customerId: string, token: string | null = ADMIN_TOKEN) =>
      getAuditTrail(new Request(`http://test/api/admin/customers/${customerId}/audit`, { headers: token ? { authorization: `Bearer ${token}` } : {} }), deps, customerId);
    const response = await get(id);
    expect(response.status).toBe(200);
    const { audit } = (await response.json()) as { audit: AuditJson[] };
    const overrides = audit.filter((entry) => entry.action.startsWith("override."));
    expect(overrides.map((entry) => [entry.action, entry.actor, entry.reason])).toEqual([
      ["override.revokeAccess", "api-token", "chargeback"],
      ["override.addTag", "api-token", "asked for promotions"],
    ]);
    expect(Object.keys(overrides[0]!).sort()).toEqual(["action", "actor", "after", "at", "before", "id", "reason"]);
    expect(audit.some((entry) => entry.action === "entitlement.changed" && entry.actor === "system")).toBe(true);
    expect((await get(crypto.randomUUID())).status).toBe(404);
    expect((await get(id, null)).status).toBe(401);
  });
});
