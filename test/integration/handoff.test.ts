import type { LanguageModelV3, LanguageModelV3Prompt } from "@ai-sdk/provider";
import { sealData } from "iron-session";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdmin, type AdminAccount } from "../../lib/admin/accounts";
import { SETUP_OPERATOR } from "../helpers/actors";
import type { GuardDeps } from "../../lib/admin/guard";
import { SESSION_COOKIE, SESSION_MAX_SECONDS, openSession } from "../../lib/admin/session";
import { handleTicketAction, type TicketActionName } from "../../lib/admin/tickets-api";
import { createChatHandlers, type ChatHistory } from "../../lib/chat/handler";
import { createOfflineModel } from "../../lib/chat/offline-model";
import { parseEnv } from "../../lib/config";
import { signIdentityToken } from "../../lib/identity";
import { createChatRateLimiter } from "../../lib/ratelimit";
import { ticketReference } from "../../lib/record/entitlement-view";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";

// Human handoff both ways, through the chat's handlers and the queue's routes: a person's reply
// reaches the customer's widget; while a person holds the chat the model is not called and the
// customer's messages go to the ticket; resolving or releasing hands the chat back.

const IDENTITY_SECRET = "handoff-test-identity-secret-0123456789";
const SESSION_SECRET = "handoff-test-session-secret-0123456789-abcdef";
const CONVERSATION = "conv-handoff";

let stack: Stack;
let deps: GuardDeps;
let ana: AdminAccount;
let anaAuth: Record<string, string>;
let customer: Purchase;
let token: string;
/** Every prompt the model was called with. */
let prompts: LanguageModelV3Prompt[];
let chat: ReturnType<typeof createChatHandlers>;

/** The offline model, recording each call. */
function recordingModel(): LanguageModelV3 {
  const offline = createOfflineModel();
  return {
    ...offline,
    doGenerate: (options) => {
      prompts.push(options.prompt);
      return offline.doGenerate(options);
    },
    doStream: (options) => {
      prompts.push(options.prompt);
      return offline.doStream(options);
    },
  };
}

beforeEach(async () => {
  stack = await startStack();
  prompts = [];
  chat = createChatHandlers({
    db: stack.db,
    catalog: stack.catalog,
    identitySecret: IDENTITY_SECRET,
    rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: IDENTITY_SECRET }),
    model: recordingModel(),
  });
  deps = { env: parseEnv({ ADMIN_TOKEN: "handoff-test-admin-token-0123456789", APP_MODE: "demo" }), db: stack.db, sessionSecret: SESSION_SECRET };
  ana = await createAdmin(stack.db, { email: "ana@support.example", name: "Ana", password: "correct horse battery staple" }, SETUP_OPERATOR);
  const sealed = await sealData({ token: await openSession(stack.db, ana.id) }, { password: SESSION_SECRET, ttl: SESSION_MAX_SECONDS });
  anaAuth = { cookie: `${SESSION_COOKIE}=${sealed}`, origin: "http://test" };
  customer = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(customer))).status).toBe(200);
  await stack.drain();
  token = await signIdentityToken(customer.email, IDENTITY_SECRET);
});
afterEach(async () => {
  await stack.stop();
});

/** A customer's turn: the text the widget streamed. */
async function say(text: string): Promise<string> {
  const response = await chat.post(
    new Request("http://test/api/chat", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ id: CONVERSATION, messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }] }),
    }),
  );
  expect(response.status).toBe(200);
  const events = (await response.text())
    .split("\n")
    .filter((line) => line.startsWith("data: {"))
    .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: string });
  // The reply is stored as the stream finishes.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return events.flatMap((event) => (event.type === "text-delta" ? [event.delta] : [])).join("");
}

/** The widget's poll. */
async function poll(query = ""): Promise<ChatHistory> {
  const response = await chat.get(new Request(`http://test/api/chat${query}`, { headers: { authorization: `Bearer ${token}` } }));
  expect(response.status).toBe(200);
  return (await response.json()) as ChatHistory;
}

async function act(action: TicketActionName, body?: unknown) {
  const [ticket] = await stack.db.sql<{ id: string }>(`SELECT id FROM "Ticket"`);
  const response = await handleTicketAction(
    new Request(`http://test/api/admin/tickets/${ticket!.id}/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...anaAuth },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    deps,
    ticket!.id,
    action,
  );
  expect(response.status).toBe(200);
  return ticket!.id;
}

const notes = () => stack.db.sql<{ kind: string; body: string; author: string }>(`SELECT kind::text AS kind, body, author FROM "TicketNote" ORDER BY "createdAt"`);
const ticketCount = async () => (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Ticket"`))[0]!.n;

describe("human handoff", () => {
  it("a person's reply appears in the customer's GET /api/chat, signed with their name, and the chat says it is held", async () => {
    expect(await say("I want to talk to a real person")).toMatch(/your ticket is T-[0-9A-F]{8}/);
    expect(await poll()).toMatchObject({ id: CONVERSATION, held: false, agent: null, ticket: null });
    const ticketId = await act("reply", { text: "Hi, Ana here. What can I do for you?" });

    for (const history of [await poll(), await poll(`?id=${CONVERSATION}`)]) {
      expect(history).toMatchObject({ id: CONVERSATION, held: true, agent: null, ticket: ticketReference(ticketId) });
      expect(history.messages.at(-1)).toMatchObject({
        role: "assistant",
        parts: [{ type: "text", text: "Hi, Ana here. What can I do for you?" }],
        metadata: { agent: "Ana" },
      });
    }
    // Taking it names who holds the chat.
    await act("assign");
    expect(await poll()).toMatchObject({ held: true, agent: "Ana" });
    // Another identity's conversation is not found, held or not.
    const other = await signIdentityToken("someone.else@example.com", IDENTITY_SECRET);
    const response = await chat.get(new Request(`http://test/api/chat?id=${CONVERSATION}`, { headers: { authorization: `Bearer ${other}` } }));
    expect(await response.json()).toEqual({ id: null, messages: [], held: false, agent: null, ticket: null });
  });

  it("while held the model is not called: the customer's message is stored, added to the ticket, and answered with a notice", async () => {
    await say("I want to talk to a real person");
    const ticketId = await act("assign");
    const calls = prompts.length;

    const answer = await say("My invoice shows the wrong company name");
    expect(answer).toBe(`Ana from our support team is looking after this (ticket ${ticketReference(ticketId)}) and will reply here. I've passed your message on.`);
    expect(prompts.length).toBe(calls);
    expect((await notes()).filter((note) => note.kind === "customer_message")).toEqual([
      { kind: "customer_message", body: "My invoice shows the wrong company name", author: "customer" },
    ]);
    const history = await poll();
    expect(history.messages.slice(-2)).toMatchObject([
      { role: "user", parts: [{ type: "text", text: "My invoice shows the wrong company name" }] },
      { role: "assistant", metadata: { notice: "held" } },
    ]);

    // A customer writing back after a reply puts the ticket back in the queue as open.
    await act("reply", { text: "Which company name should it be?" });
    await say("Acme Ltd, please");
    const [ticket] = await stack.db.sql<{ status: string }>(`SELECT status::text AS status FROM "Ticket"`);
    expect(ticket?.status).toBe("open");
    expect(prompts.length).toBe(calls);
  });

  it.each([
    ["resolving", "resolve", { note: "Fixed the invoice's company name" }],
    ["releasing", "release", undefined],
  ] as const)("%s hands the chat back to the bot, which reads the person's reply as theirs", async (_case, action, body) => {
    await say("I want to talk to a real person");
    await act("reply", { text: "Your invoice is corrected." });
    await say("thanks!");
    const calls = prompts.length;
    await act(action, body);
    expect((await poll()).held).toBe(false);

    expect(await say("Is my membership active?")).toMatch(/membership is active/);
    expect(prompts.length).toBeGreaterThan(calls);
    const seen = JSON.stringify(prompts.at(-1));
    expect(seen).toContain("[Ana from the support team wrote:] Your invoice is corrected.");
    expect(seen).not.toContain("is looking after this");
  });

  it("asked about the open ticket, the bot states its status and reference and opens no second ticket", async () => {
    const opened = await say("I want to talk to a real person");
    const reference = opened.match(/T-[0-9A-F]{8}/)![0];
    const answer = await say("What's the status of my ticket?");
    expect(answer).toContain(`Your ticket ${reference} about your question`);
    expect(answer).toMatch(/is open/);
    expect(await ticketCount()).toBe(1);
    // Asking after it is not asking again: no repeat is counted.
    expect(await notes()).toEqual([]);
  });
});
