import {
  convertToModelMessages,
  createUIMessageStream,
  createUIMessageStreamResponse,
  stepCountIs,
  streamText,
  type LanguageModel,
  type ToolSet,
  type UIMessage,
} from "ai";
import { z } from "zod";
import type { Database, Row } from "../db";
import { clientAddress } from "../client-address";
import { bearerToken, verifyIdentityToken } from "../identity";
import type { PlanCatalog } from "../lifecycle/catalog";
import { log, newCorrelationId, withCorrelation } from "../log";
import type { ChatRateLimiter } from "../ratelimit";
import { ticketReference } from "../record/entitlement-view";
import { identityParams } from "../record/read";
import { addCustomerMessage } from "../support/tickets";
import { createTools, plainToolErrors, TOOL_INPUTS, type StepToolCall } from "../../tools";
import { agentOf, isHeldNotice, MESSAGE_JSON, type ChatMessage } from "./messages";
import { heldTurn, observeTurn } from "./observe";
import { conversationLanguage, systemPrompt } from "./prompt";
import { BodyTooLargeError, readBody } from "../webhooks/http";

/** The largest chat request body read (413 over it). */
export const MAX_CHAT_BODY_BYTES = 1024 * 1024;

// POST /api/chat (AI SDK UI message stream) and GET /api/chat (history for the widget, which
// it polls for a person's replies). The history comes from the database, never from the
// client: the client sends only its new message, so it cannot put words or tool results in
// the assistant's mouth.
//
// Human handoff: while a ticket holds the conversation (a person took it or replied), the
// customer's message is stored as usual and added to the ticket, and the model is not called:
// the answer is a short notice that a person is on it.

export interface ChatDeps {
  db: Database;
  catalog: PlanCatalog;
  identitySecret: string;
  rateLimiter: ChatRateLimiter;
  model: LanguageModel;
  /** TRUSTED_PROXY_HOPS (lib/client-address.ts); unset: the default. */
  trustedProxyHops?: number;
}

const MAX_STEPS = 5;
const MAX_HISTORY = 40;

// The chat's reads and writes are raw SQL, one statement each (a turn is on every customer's
// path; the ORM's per-query work was a large part of its CPU). Messages are kept in createdAt
// order; the model sees the last MAX_HISTORY of them.

/** The messages of relation `recent` as UI messages (with their metadata), oldest first. */
const HISTORY_JSON = `(SELECT COALESCE(json_agg(${MESSAGE_JSON} ORDER BY "createdAt"), '[]') FROM recent)`;

/**
 * Opens a turn: finds or creates the conversation ($1) for the identity ($2), stores the
 * customer's message ($5, parts $6) if the conversation is theirs (a resent message id is kept
 * as it was), and returns its owner, the customer id ($3, $4: `identityParams`), the history
 * with the new message, and the ticket holding the conversation, if one does. A conversation
 * created concurrently by another request is returned by the no-op update instead of being
 * created twice.
 */
const OPEN_TURN_SQL = `
WITH customer AS (SELECT identified_customer($3, $4) AS id),
existing AS (SELECT identity FROM "Conversation" WHERE id = $1),
created AS (
  INSERT INTO "Conversation" (id, identity, "customerId", "updatedAt")
  SELECT $1, $2, customer.id, now() FROM customer WHERE NOT EXISTS (SELECT 1 FROM existing)
  ON CONFLICT (id) DO UPDATE SET "updatedAt" = "Conversation"."updatedAt"
  RETURNING identity),
owner AS (SELECT COALESCE((SELECT identity FROM existing), (SELECT identity FROM created)) AS identity),
stored AS (
  INSERT INTO "Message" (id, "conversationId", role, parts)
  SELECT $5, $1, 'user', $6::jsonb FROM owner WHERE owner.identity = $2
  ON CONFLICT (id) DO NOTHING
  RETURNING id, role, parts, "createdAt"),
-- The new row is not visible to this statement's reads of "Message": it joins from RETURNING.
recent AS (
  SELECT id, role, parts, metadata, "createdAt" FROM "Message" WHERE "conversationId" = $1
  UNION ALL SELECT id, role, parts, NULL::jsonb, "createdAt" FROM stored
  ORDER BY "createdAt" DESC LIMIT ${MAX_HISTORY})
SELECT owner.identity AS owner, customer.id AS "customerId", ${HISTORY_JSON} AS history, held_ticket($1) AS held,
       EXISTS (SELECT 1 FROM stored) AS fresh
  FROM owner, customer`;

interface TurnStart extends Row {
  /** The conversation's identity; another identity's conversation is not found. */
  owner: string | null;
  customerId: string | null;
  history: ChatMessage[];
  held: HeldBy | null;
  /** The message was stored now (not a re-sent one already there). */
  fresh: boolean;
}

/** The ticket holding a conversation, and the name of the person who took it (null: not taken by a named admin). */
interface HeldBy {
  id: string;
  agent: string | null;
}

/** Stores the reply ($2, metadata $6; a re-sent id replaces its parts) and notes the customer ($5) and the time on the conversation ($1). */
const STORE_REPLY_SQL = `
WITH reply AS (
  INSERT INTO "Message" (id, "conversationId", role, parts, metadata) VALUES ($2, $1, $3, $4::jsonb, $6::jsonb)
  ON CONFLICT (id) DO UPDATE SET parts = EXCLUDED.parts)
UPDATE "Conversation" SET "customerId" = COALESCE($5, "customerId"), "updatedAt" = now() WHERE id = $1`;

/**
 * The identity's ($1) conversation $2, or with $2 null its most recently active one: its
 * history and the ticket holding it, if one does. Another identity's conversation is not found.
 */
const CONVERSATION_SQL = `
WITH latest AS (SELECT id FROM "Conversation" WHERE identity = $1 AND ($2::text IS NULL OR id = $2) ORDER BY "updatedAt" DESC LIMIT 1),
recent AS (
  SELECT id, role, parts, metadata, "createdAt" FROM "Message" WHERE "conversationId" = (SELECT id FROM latest)
  ORDER BY "createdAt" DESC LIMIT ${MAX_HISTORY})
SELECT latest.id, ${HISTORY_JSON} AS messages, held_ticket(latest.id) AS held FROM latest`;

const textParts = z.array(z.object({ type: z.literal("text"), text: z.string().trim().min(1).max(2_000) })).min(1);
const historyQuery = z.object({ id: z.string().min(1).max(100).optional() });
const chatRequest = z.object({
  id: z.string().min(1).max(100),
  messages: z
    .array(z.object({ id: z.string().min(1).max(100), role: z.string(), parts: z.array(z.unknown()) }))
    .min(1)
    .max(200),
});

const json = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

async function authenticate(request: Request, secret: string): Promise<string | null> {
  const token = bearerToken(request);
  if (!token) return null;
  const result = await verifyIdentityToken(token, secret);
  return result.ok ? result.subject : null;
}

const unauthorized = () => json(401, { error: "Your sign-in has expired or is missing. Please reload the page." });

/**
 * The history as the model reads it: without the notices sent while a person held the chat,
 * and with a person's replies marked as theirs, so the model neither repeats nor contradicts
 * them as if it had written them.
 */
function forModel(messages: UIMessage[]): UIMessage[] {
  return messages
    .filter((message) => !isHeldNotice(message))
    .map((message) => {
      const agent = agentOf(message);
      if (!agent) return message;
      return { ...message, parts: message.parts.map((part) => (part.type === "text" ? { ...part, text: `[${agent} from the support team wrote:] ${part.text}` } : part)) };
    });
}

/**
 * A token stream must reach the customer token by token: `no-transform` keeps Next's gzip (and
 * proxies) off it, which otherwise compress every few-byte event and may hold them back.
 */
const STREAM_HEADERS = { "cache-control": "no-cache, no-transform" };

/** The text of the customer's messages, oldest first. */
const customerTexts = (messages: UIMessage[]) =>
  messages.filter((message) => message.role === "user").flatMap((message) => message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])));

/**
 * The model's part of a turn: the conversation (history and the new message) through the model
 * and the session's tools, streamed back as AI SDK UI message events; `storeReply` gets the
 * finished reply. Everything before it (identity, limits, history) is the handler's. The system
 * prompt names the conversation's language; a tool call that could not run is answered to the
 * model in plain words (./tools/input-errors), never with its own arguments quoted back.
 */
export async function streamReply(turn: {
  model: LanguageModel;
  messages: UIMessage[];
  tools: ToolSet;
  conversationId: string;
  storeReply: (reply: UIMessage) => Promise<void>;
  /** The customer's request: when they go away, the model call stops (a hosted model bills every token). */
  abortSignal?: AbortSignal;
}): Promise<Response> {
  const { model, messages, tools, conversationId } = turn;
  const observed = observeTurn();
  const result = streamText({
    ...observed.hooks,
    model,
    system: systemPrompt(conversationLanguage(customerTexts(messages))),
    messages: await convertToModelMessages(forModel(messages), { tools, ignoreIncompleteToolCalls: true }),
    tools,
    stopWhen: stepCountIs(MAX_STEPS),
    abortSignal: turn.abortSignal,
    prepareStep: ({ steps, messages: stepMessages }) => {
      if (steps.length === 0) return undefined;
      const calls: StepToolCall[] = steps.flatMap((step) => step.content.flatMap((part) => (part.type === "tool-call" ? [part] : [])));
      return { messages: plainToolErrors(stepMessages, calls, TOOL_INPUTS) };
    },
    // The provider's message can quote credentials (a masked API key): log its kind and status only.
    onError: ({ error }) => {
      observed.failed();
      log.error(
        { err: (error as Error).name, status: (error as { statusCode?: number }).statusCode ?? null, conversationId },
        "chat: model stream failed",
      );
    },
  });
  return result.toUIMessageStreamResponse({
    headers: STREAM_HEADERS,
    originalMessages: messages,
    // Without it the reply's id is "", so every reply (of any conversation) would be stored in one row.
    generateMessageId: () => crypto.randomUUID(),
    onFinish: ({ responseMessage }) => turn.storeReply(responseMessage),
    // One place decides what a customer may see of a failure: never the error itself.
    onError: () => "Something went wrong on our side. Please try again in a moment.",
  });
}

/** The customer-facing words of a held chat's answer. */
const heldNotice = (reference: string, agent: string | null) =>
  `${agent ? `${agent} from our support team` : "A person from our support team"} is looking after this (ticket ${reference}) and will reply here. I've passed your message on.`;

/**
 * The answer while a person holds the chat: the notice, streamed as an assistant message (so
 * the widget shows it like any reply) and stored with `{ notice: "held" }` metadata. No model.
 */
function heldReply(turn: { messages: ChatMessage[]; held: HeldBy; storeReply: (reply: ChatMessage) => Promise<void> }): Response {
  const stream = createUIMessageStream<ChatMessage>({
    originalMessages: turn.messages,
    generateId: () => crypto.randomUUID(),
    execute: ({ writer }) => {
      writer.write({ type: "start", messageMetadata: { notice: "held" } });
      writer.write({ type: "text-start", id: "notice" });
      writer.write({ type: "text-delta", id: "notice", delta: heldNotice(ticketReference(turn.held.id), turn.held.agent) });
      writer.write({ type: "text-end", id: "notice" });
      writer.write({ type: "finish" });
    },
    onFinish: ({ responseMessage }) => turn.storeReply(responseMessage),
  });
  return createUIMessageStreamResponse({ stream, headers: STREAM_HEADERS });
}

/** POST /api/chat: one customer turn, streamed back. */
export const handleChatPost = (request: Request, deps: ChatDeps): Promise<Response> => withCorrelation(newCorrelationId(), () => chatTurn(request, deps));

async function chatTurn(request: Request, deps: ChatDeps): Promise<Response> {
  const identity = await authenticate(request, deps.identitySecret);
  if (!identity) return unauthorized();
  const limit = await deps.rateLimiter.check({ customerKey: identity, ip: clientAddress(request.headers, deps.trustedProxyHops) });
  if (!limit.ok) {
    return json(
      429,
      { error: `You're sending messages faster than I can answer. Please wait ${limit.retryAfterSeconds} seconds.` },
      { "retry-after": String(limit.retryAfterSeconds) },
    );
  }
  let body: unknown;
  try {
    // The widget sends the conversation so far (at most 200 messages): 1 MiB is ample.
    body = JSON.parse(await readBody(request, MAX_CHAT_BODY_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return json(413, { error: "The request is too large." });
    return json(400, { error: "The request body is not JSON." });
  }
  const parsed = chatRequest.safeParse(body);
  if (!parsed.success) return json(400, { error: "The request is not a chat message." });
  const latest = parsed.data.messages.at(-1)!;
  const text = textParts.safeParse(latest.parts.filter((part) => typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text"));
  if (latest.role !== "user" || !text.success) return json(400, { error: "Send one text message of up to 2,000 characters." });

  const conversationId = parsed.data.id;
  const userParts: UIMessage["parts"] = text.data.map((part) => ({ type: "text", text: part.text }));
  const [turn] = await deps.db.sql<TurnStart>(
    OPEN_TURN_SQL,
    [conversationId, identity, ...identityParams(identity), latest.id, JSON.stringify(userParts)],
    { prepare: "chat_open_turn" },
  );
  if (!turn || turn.owner !== identity) return json(404, { error: "No such conversation." });
  const { customerId, history: messages, held, fresh } = turn;
  const storeReply = async (reply: UIMessage) => {
    try {
      await deps.db.sql(
        STORE_REPLY_SQL,
        [conversationId, reply.id, reply.role, JSON.stringify(reply.parts), customerId, reply.metadata === undefined ? null : JSON.stringify(reply.metadata)],
        { prepare: "chat_store_reply" },
      );
    } catch (error) {
      log.error({ err: (error as Error).message, conversationId }, "chat: could not store the reply");
    }
  };
  if (held) {
    heldTurn();
    // A re-sent message is on the ticket already.
    if (fresh) await addCustomerMessage(deps.db, held.id, text.data.map((part) => part.text).join("\n"));
    return heldReply({ messages, held, storeReply });
  }
  const tools = createTools({ identity, db: deps.db, catalog: deps.catalog, conversationId });
  return streamReply({ model: deps.model, messages, tools, conversationId, storeReply, abortSignal: request.signal });
}

/** What GET /api/chat answers: the conversation, and whether a person holds it (who, and the ticket's reference). */
export interface ChatHistory {
  id: string | null;
  messages: ChatMessage[];
  held: boolean;
  agent: string | null;
  ticket: string | null;
}

/**
 * GET /api/chat[?id=<conversation>]: that conversation of the identity, or its latest, for the
 * widget to restore after a reload and to poll for a person's replies.
 */
export async function handleChatGet(request: Request, deps: ChatDeps): Promise<Response> {
  const identity = await authenticate(request, deps.identitySecret);
  if (!identity) return unauthorized();
  const query = historyQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return json(400, { error: "The conversation id is not valid." });
  const [conversation] = await deps.db.sql<{ id: string; messages: ChatMessage[]; held: HeldBy | null }>(
    CONVERSATION_SQL,
    [identity, query.data.id ?? null],
    { prepare: "chat_history" },
  );
  const history: ChatHistory = conversation
    ? {
        id: conversation.id,
        messages: conversation.messages,
        held: conversation.held !== null,
        agent: conversation.held?.agent ?? null,
        ticket: conversation.held ? ticketReference(conversation.held.id) : null,
      }
    : { id: null, messages: [], held: false, agent: null, ticket: null };
  return json(200, { ...history });
}

/** Both handlers bound to their dependencies. */
export const createChatHandlers = (deps: ChatDeps) => ({
  post: (request: Request) => handleChatPost(request, deps),
  get: (request: Request) => handleChatGet(request, deps),
});
