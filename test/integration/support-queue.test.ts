import { sealData } from "iron-session";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdmin, type AdminAccount } from "../../lib/admin/accounts";
import { SETUP_OPERATOR } from "../helpers/actors";
import type { GuardDeps } from "../../lib/admin/guard";
import { SESSION_COOKIE, SESSION_MAX_SECONDS, openSession } from "../../lib/admin/session";
import { getTicket, handleGetTicket, handleListTickets, handleTicketAction, listQueue, type QueueItem, type TicketActionName } from "../../lib/admin/tickets-api";
import { createChatHandlers } from "../../lib/chat/handler";
import { createOfflineModel } from "../../lib/chat/offline-model";
import { parseEnv } from "../../lib/config";
import { signIdentityToken } from "../../lib/identity";
import { createChatRateLimiter } from "../../lib/ratelimit";
import { ticketReference } from "../../lib/record/entitlement-view";
import { findCustomerId } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";
import { escalateForCustomer, openOrReuseTicket } from "../../lib/support/tickets";

// The escalation queue through its admin JSON routes: the list and its filters, one ticket,
// and each action's effect with its audit row; refused requests write nothing.

const ADMIN_TOKEN = "support-queue-admin-token-0123456789";
const SESSION_SECRET = "support-queue-session-secret-0123456789-abcdef";
const IDENTITY_SECRET = "support-queue-identity-secret-0123456789";
const TOKEN_AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

let stack: Stack;
let deps: GuardDeps;
let ana: AdminAccount;
let anaAuth: Record<string, string>;

beforeEach(async () => {
  stack = await startStack();
  deps = { env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }), db: stack.db, sessionSecret: SESSION_SECRET };
  ana = await createAdmin(stack.db, { email: "ana@support.example", name: "Ana", password: "correct horse battery staple" }, SETUP_OPERATOR);
  const sealed = await sealData({ token: await openSession(stack.db, ana.id) }, { password: SESSION_SECRET, ttl: SESSION_MAX_SECONDS });
  anaAuth = { cookie: `${SESSION_COOKIE}=${sealed}`, origin: "http://test" };
});
afterEach(async () => {
  await stack.stop();
});

const chat = () =>
  createChatHandlers({
    db: stack.db,
    catalog: stack.catalog,
    identitySecret: IDENTITY_SECRET,
    rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: IDENTITY_SECRET }),
    model: createOfflineModel(),
  });

/** A customer's chat turn, read to its end. */
async function say(identity: string, conversationId: string, text: string) {
  const response = await chat().post(
    new Request("http://test/api/chat", {
      method: "POST",
      headers: { authorization: `Bearer ${await signIdentityToken(identity, IDENTITY_SECRET)}`, "content-type": "application/json" },
      body: JSON.stringify({ id: conversationId, messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }] }),
    }),
  );
  expect(response.status).toBe(200);
  await response.text();
}

async function purchase(): Promise<Purchase & { id: string }> {
  const p = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  await stack.drain();
  return { ...p, id: (await findCustomerId(stack.db, p.email))! };
}

const ticketIdOf = async (category: string, identity: string) =>
  (await stack.db.sql<{ id: string }>(`SELECT id FROM "Ticket" WHERE category = $1 AND identity = $2`, [category, identity]))[0]!.id;

/** Opened `minutesAgo` minutes ago, so the queue's order does not hang on clock ticks. */
const age = (id: string, minutesAgo: number) =>
  stack.db.sql(`UPDATE "Ticket" SET "createdAt" = now() - $2::int * interval '1 minute' WHERE id = $1`, [id, minutesAgo]);

/**
 * Four tickets: a customer's chat ask for a person (with its conversation) asked twice, the
 * same customer's billing ask, a stranger's (no record), and a system escalation for another
 * customer; oldest first in that order.
 */
async function seed() {
  const alice = await purchase();
  const bob = await purchase();
  await say(alice.email, "conv-alice", "I want to talk to a real person");
  await say(alice.email, "conv-alice", "Hello?? I asked for a real person");
  await openOrReuseTicket(stack.db, { customerId: alice.id, identity: alice.email, category: "billing", summary: "Charged twice", source: "chat" });
  await say("stranger@example.com", "conv-stranger", "can I talk to your support team");
  await escalateForCustomer(stack.db, { customerId: bob.id, category: "access", summary: "Community access could not be set up in Circle." });
  const ids = {
    human: await ticketIdOf("other", alice.email),
    billing: await ticketIdOf("billing", alice.email),
    stranger: await ticketIdOf("other", "stranger@example.com"),
    system: await ticketIdOf("access", bob.email),
  };
  await age(ids.human, 40);
  await age(ids.billing, 30);
  await age(ids.stranger, 20);
  await age(ids.system, 10);
  return { alice, bob, ids };
}

const list = async (query = "", auth: Record<string, string> = TOKEN_AUTH) => {
  const response = await handleListTickets(new Request(`http://test/api/admin/tickets${query}`, { headers: auth }), deps);
  return { status: response.status, body: (await response.json()) as { tickets: QueueItem[]; error?: string } };
};

async function act(id: string, action: TicketActionName, body?: unknown, auth: Record<string, string> = TOKEN_AUTH) {
  const response = await handleTicketAction(
    new Request(`http://test/api/admin/tickets/${id}/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
    deps,
    id,
    action,
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: string } };
}

const audits = () =>
  stack.db.sql<{ actor: string; action: string; reason: string | null; before: unknown; after: Record<string, unknown>; correlationId: string; customerId: string | null }>(
    `SELECT actor, action, reason, before, after, "correlationId", "customerId" FROM "AuditLog" WHERE action LIKE 'ticket.%' ORDER BY "createdAt", action`,
  );

/** Everything an action may write, to show that a refused one wrote nothing. */
const everything = async () => ({
  tickets: await stack.db.sql(`SELECT id, status::text, "assigneeId", "heldAt", "resolvedAt", "updatedAt" FROM "Ticket" ORDER BY id`),
  notes: await stack.db.sql(`SELECT id FROM "TicketNote" ORDER BY id`),
  messages: await stack.db.sql(`SELECT id FROM "Message" ORDER BY id`),
  audits: await stack.db.sql(`SELECT id FROM "AuditLog" ORDER BY id`),
});

describe("the queue", () => {
  it("lists open and pending tickets oldest first, with customer, journey, asks, assignee and age", async () => {
    const { alice, bob, ids } = await seed();
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body.tickets.map((ticket) => ticket.id)).toEqual([ids.human, ids.billing, ids.stranger, ids.system]);
    const [human, , stranger, system] = body.tickets;
    expect(human).toMatchObject({
      reference: ticketReference(ids.human),
      status: "open",
      category: "other",
      source: "chat",
      customer: { id: alice.id, email: alice.email },
      journey: { kind: "purchase", key: alice.subscriptionId },
      asks: 2,
      notes: 1,
      assignee: null,
      held: false,
      conversationId: "conv-alice",
      // The fields the list answered before the console existed.
      customerId: alice.id,
    });
    expect(human!.ageSeconds).toBeGreaterThanOrEqual(40 * 60);
    expect(human!.ageSeconds).toBeLessThan(41 * 60);
    expect(stranger).toMatchObject({ customer: null, journey: null, identity: "stranger@example.com", asks: 1 });
    expect(system).toMatchObject({ source: "system", category: "access", customer: { id: bob.id }, conversationId: null });

    // The same through the function the console pages call.
    const direct = await listQueue(stack.db, {}, new Date());
    expect(direct.map((ticket) => ticket.id)).toEqual(body.tickets.map((ticket) => ticket.id));
  });

  it("filters by status, category, source and assignee", async () => {
    const { ids } = await seed();
    expect((await act(ids.billing, "resolve", { note: "Refunded the duplicate charge" })).status).toBe(200);
    expect((await act(ids.system, "assign", undefined, anaAuth)).status).toBe(200);
    const idsOf = async (query: string, auth?: Record<string, string>) => (await list(query, auth)).body.tickets.map((ticket) => ticket.id);

    expect(await idsOf("")).toEqual([ids.human, ids.stranger, ids.system]);
    expect(await idsOf("?status=resolved")).toEqual([ids.billing]);
    expect(await idsOf("?status=all")).toEqual([ids.human, ids.billing, ids.stranger, ids.system]);
    expect(await idsOf("?category=access")).toEqual([ids.system]);
    expect(await idsOf("?source=system")).toEqual([ids.system]);
    expect(await idsOf("?source=chat&category=other")).toEqual([ids.human, ids.stranger]);
    expect(await idsOf("?assignee=unassigned")).toEqual([ids.human, ids.stranger]);
    expect(await idsOf(`?assignee=${ana.id}`)).toEqual([ids.system]);
    expect(await idsOf("?assignee=me", anaAuth)).toEqual([ids.system]);
    expect(await idsOf("?limit=1")).toEqual([ids.human]);
    expect((await list("?assignee=me")).status).toBe(400);
    expect((await list("?status=closed")).status).toBe(400);
    expect((await list("?assignee=bob")).status).toBe(400);
    expect((await list("?colour=red")).status).toBe(400);
    expect((await list("", {})).status).toBe(401);
    expect((await list("", { authorization: "Bearer not-the-token" })).status).toBe(401);
  });

  it("shows one ticket with its notes, oldest first, and its conversation", async () => {
    const { ids } = await seed();
    expect((await act(ids.human, "note", { text: "Customer is on the annual plan" })).status).toBe(200);
    const response = await handleGetTicket(new Request(`http://test/api/admin/tickets/${ids.human}`, { headers: TOKEN_AUTH }), deps, ids.human);
    expect(response.status).toBe(200);
    const { ticket } = (await response.json()) as { ticket: NonNullable<Awaited<ReturnType<typeof getTicket>>> };
    expect(ticket.noteList.map((note) => [note.kind, note.author, note.body])).toEqual([
      ["ask", "customer", "Hello?? I asked for a real person"],
      ["internal", "api-token", "Customer is on the annual plan"],
    ]);
    expect(ticket.conversation?.id).toBe("conv-alice");
    expect(ticket.conversation?.messages.map((message) => message.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect((await getTicket(stack.db, ids.system))?.conversation).toBeNull();

    const unknown = crypto.randomUUID();
    expect((await handleGetTicket(new Request(`http://test/api/admin/tickets/${unknown}`, { headers: TOKEN_AUTH }), deps, unknown)).status).toBe(404);
    expect((await handleGetTicket(new Request("http://test/api/admin/tickets/nope", { headers: TOKEN_AUTH }), deps, "nope")).status).toBe(400);
    expect((await handleGetTicket(new Request(`http://test/api/admin/tickets/${ids.human}`), deps, ids.human)).status).toBe(401);
  });
});

describe("the actions", () => {
  it("assign, note, reply, release, resolve and reopen: each changes the ticket and writes its audit row, actor api-token", async () => {
    const { alice, ids } = await seed();
    const id = ids.human;

    const assigned = await act(id, "assign", { adminId: ana.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body.ticket).toMatchObject({ assignee: { id: ana.id, name: "Ana", email: ana.email }, held: true, status: "open" });

    const noted = await act(id, "note", { text: "Looks like a duplicate account" });
    expect(noted.body.note).toMatchObject({ kind: "internal", author: "api-token", body: "Looks like a duplicate account" });

    const replied = await act(id, "reply", { text: "Hi Alice, I'm looking into it now." });
    expect(replied.status).toBe(200);
    expect(replied.body).toMatchObject({ delivered: true, ticket: { status: "pending", held: true }, note: { kind: "reply" } });
    const [message] = await stack.db.sql<{ role: string; parts: unknown; metadata: unknown }>(
      `SELECT role, parts, metadata FROM "Message" WHERE "conversationId" = 'conv-alice' ORDER BY "createdAt" DESC LIMIT 1`,
    );
    expect(message).toEqual({ role: "assistant", parts: [{ type: "text", text: "Hi Alice, I'm looking into it now." }], metadata: { agent: "Support team" } });

    const released = await act(id, "release");
    expect(released.body.ticket).toMatchObject({ held: false, status: "pending" });
    expect((await act(id, "release")).status).toBe(409);

    const resolved = await act(id, "resolve", { note: "Merged the duplicate account" });
    expect(resolved.body.ticket).toMatchObject({ status: "resolved", held: false });
    expect((resolved.body.ticket as QueueItem).resolvedAt).not.toBeNull();
    const reopened = await act(id, "reopen", {});
    expect(reopened.body.ticket).toMatchObject({ status: "open", resolvedAt: null, assignee: { id: ana.id } });

    const before = (status: string, assigneeId: string | null, held: boolean) => ({ status, assigneeId, held });
    expect(await audits()).toEqual([
      { actor: "api-token", action: "ticket.assign", reason: null, customerId: alice.id, correlationId: id, before: before("open", null, false), after: before("open", ana.id, true) },
      {
        actor: "api-token",
        action: "ticket.note",
        reason: null,
        customerId: alice.id,
        correlationId: id,
        before: before("open", ana.id, true),
        after: { ...before("open", ana.id, true), noteId: (noted.body.note as { id: string }).id },
      },
      {
        actor: "api-token",
        action: "ticket.reply",
        reason: null,
        customerId: alice.id,
        correlationId: id,
        before: before("open", ana.id, true),
        after: { ...before("pending", ana.id, true), noteId: (replied.body.note as { id: string }).id, messageId: expect.any(String) },
      },
      { actor: "api-token", action: "ticket.release", reason: null, customerId: alice.id, correlationId: id, before: before("pending", ana.id, true), after: before("pending", ana.id, false) },
      {
        actor: "api-token",
        action: "ticket.resolve",
        reason: "Merged the duplicate account",
        customerId: alice.id,
        correlationId: id,
        before: before("pending", ana.id, false),
        after: { ...before("resolved", ana.id, false), noteId: (resolved.body.note as { id: string }).id },
      },
      { actor: "api-token", action: "ticket.reopen", reason: null, customerId: alice.id, correlationId: id, before: before("resolved", ana.id, false), after: before("open", ana.id, false) },
    ]);
  });

  it("with a session, the actor is the signed-in admin: taking assigns to them and their replies carry their name", async () => {
    const { ids } = await seed();
    expect((await act(ids.human, "assign", { adminId: crypto.randomUUID() }, anaAuth)).status).toBe(400);
    const taken = await act(ids.human, "assign", undefined, anaAuth);
    expect(taken.body.ticket).toMatchObject({ assignee: { id: ana.id }, held: true });
    expect(taken.body.audit).toMatchObject({ actor: `admin:${ana.email}`, action: "ticket.assign" });
    await act(ids.human, "reply", { text: "Ana here, on it." }, anaAuth);
    const [message] = await stack.db.sql<{ metadata: unknown }>(`SELECT metadata FROM "Message" WHERE metadata IS NOT NULL`);
    expect(message?.metadata).toEqual({ agent: "Ana" });
  });

  it("a reply on a ticket with no conversation is kept on the ticket and says the customer was not reachable in chat", async () => {
    const { ids } = await seed();
    const replied = await act(ids.system, "reply", { text: "We re-sent your invite." });
    expect(replied.status).toBe(200);
    expect(replied.body).toMatchObject({ delivered: false, notice: expect.stringMatching(/not reachable in chat/), ticket: { held: false, status: "pending" } });
    expect(await stack.db.sql(`SELECT id FROM "Message" WHERE metadata IS NOT NULL`)).toEqual([]);
  });

  it("refuses unknown tickets (404), bad ids and bodies (400) and what the state does not allow (409), writing nothing", async () => {
    const { ids } = await seed();
    expect((await act(ids.billing, "resolve", { note: "Refunded" })).status).toBe(200);
    const unknown = crypto.randomUUID();
    const cases: Array<[string, TicketActionName, unknown, number, Record<string, string>?]> = [
      [unknown, "note", { text: "hello" }, 404],
      [unknown, "resolve", { note: "done and dusted" }, 404],
      ["not-a-uuid", "note", { text: "hello" }, 400],
      [ids.human, "note", {}, 400],
      [ids.human, "note", { text: "   " }, 400],
      [ids.human, "reply", { text: "x".repeat(2_001) }, 400],
      [ids.human, "reply", "{not json", 400],
      [ids.human, "reply", { text: "hi", admin: "Someone Else" }, 400],
      [ids.human, "resolve", {}, 400],
      [ids.human, "resolve", { note: "ok" }, 400],
      [ids.human, "reopen", { reason: "because" }, 400],
      [ids.human, "assign", {}, 400],
      [ids.human, "assign", { adminId: "ana" }, 400],
      [ids.human, "assign", { adminId: crypto.randomUUID() }, 400],
      [ids.billing, "resolve", { note: "Resolved again" }, 409],
      [ids.billing, "reply", { text: "Anything else?" }, 409],
      [ids.billing, "assign", { adminId: ana.id }, 409],
      [ids.human, "reopen", {}, 409],
      [ids.human, "release", {}, 409],
      [ids.human, "note", { text: "no credentials" }, 401, {}],
      [ids.human, "note", { text: "from another site" }, 403, { ...anaAuth, origin: "https://evil.example" }],
    ];
    const written = await everything();
    for (const [id, action, body, status, auth] of cases) {
      const response = await act(id, action, body, auth ?? TOKEN_AUTH);
      expect({ id, action, body, status: response.status }).toEqual({ id, action, body, status });
      expect(response.body.error).toEqual(expect.any(String));
    }
    expect(await everything()).toEqual(written);
  });
});
