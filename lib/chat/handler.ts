import { convertToModelMessages, stepCountIs, streamText, type LanguageModel, type ToolSet, type UIMessage } from "ai";
import { z } from "zod";
import type { Database, Row } from "../db";
import { bearerToken, verifyIdentityToken } from "../identity";
import type { PlanCatalog } from "../lifecycle/catalog";
import { log } from "../log";
import type { ChatRateLimiter } from "../ratelimit";
import { identityParams } from "../record/read";
import { createTools } from "../../tools";
import { SYSTEM_PROMPT } from "./prompt";

// POST /api/chat (AI SDK UI message stream) and GET /api/chat (history for the widget).
// The history comes from the database, never from the client: the client sends only its new
// message, so it cannot put words or tool results in the assistant's mouth.

export interface ChatDeps {
  db: Database;
  catalog: PlanCatalog;
  identitySecret: string;
  rateLimiter: ChatRateLimiter;
  model: LanguageModel;
}

const MAX_STEPS = 5;
const MAX_HISTORY = 40;

// The chat's reads and writes are raw SQL, one statement each (a turn is on every customer's
// path; the ORM's per-query work was a large part of its CPU). Messages are kept in createdAt
// order; the model sees the last MAX_HISTORY of them.

/** The messages of relation `recent` as UI messages, oldest first. */
const HISTORY_JSON = `(SELECT COALESCE(json_agg(json_build_object('id', id, 'role', role, 'parts', parts) ORDER BY "createdAt"), '[]') FROM recent)`;

/**
 * Opens a turn: finds or creates the conversation ($1) for the identity ($2), stores the
 * customer's message ($5, parts $6) if the conversation is theirs (a resent message id is kept
 * as it was), and returns its owner, the customer id ($3, $4: `identityParams`) and the history
 * with the new message. A conversation created concurrently by another request is returned by
 * the no-op update instead of being created twice.
 */
const OPEN_TURN_SQL = `
WITH customer AS (SELECT (SELECT id FROM "Customer" WHERE email = $3 OR id = $4) AS id),
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
  SELECT id, role, parts, "createdAt" FROM "Message" WHERE "conversationId" = $1
  UNION ALL SELECT id, role, parts, "createdAt" FROM stored
  ORDER BY "createdAt" DESC LIMIT ${MAX_HISTORY})
SELECT owner.identity AS owner, customer.id AS "customerId", ${HISTORY_JSON} AS history FROM owner, customer`;

interface TurnStart extends Row {
  /** The conversation's identity; another identity's conversation is not found. */
  owner: string | null;
  customerId: string | null;
  history: UIMessage[];
}

/** Stores the reply ($2; a re-sent id replaces its parts) and notes the customer ($5) and the time on the conversation ($1). */
const STORE_REPLY_SQL = `
WITH reply AS (
  INSERT INTO "Message" (id, "conversationId", role, parts) VALUES ($2, $1, $3, $4::jsonb)
  ON CONFLICT (id) DO UPDATE SET parts = EXCLUDED.parts)
UPDATE "Conversation" SET "customerId" = COALESCE($5, "customerId"), "updatedAt" = now() WHERE id = $1`;

/** The identity's ($1) most recently active conversation and its history. */
const LATEST_CONVERSATION_SQL = `
WITH latest AS (SELECT id FROM "Conversation" WHERE identity = $1 ORDER BY "updatedAt" DESC LIMIT 1),
recent AS (
  SELECT id, role, parts, "createdAt" FROM "Message" WHERE "conversationId" = (SELECT id FROM latest)
  ORDER BY "createdAt" DESC LIMIT ${MAX_HISTORY})
SELECT latest.id, ${HISTORY_JSON} AS messages FROM latest`;

const textParts = z.array(z.object({ type: z.literal("text"), text: z.string().trim().min(1).max(2_000) })).min(1);
const chatRequest = z.object({
  id: z.string().min(1).max(100),
  messages: z
    .array(z.object({ id: z.string().min(1).max(100), role: z.string(), parts: z.array(z.unknown()) }))
    .min(1)
    .max(200),
});

const json = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

/** The client address as the first proxy hop reports it; null when there is none. */
function clientIp(request: Request): string | null {
  const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || request.headers.get("x-real-ip") || null;
}

async function authenticate(request: Request, secret: string): Promise<string | null> {
  const token = bearerToken(request);
  if (!token) return null;
  const result = await verifyIdentityToken(token, secret);
  return result.ok ? result.subject : null;
}

const unauthorized = () => json(401, { error: "Your sign-in has expired or is missing. Please reload the page." });

/**
 * The model's part of a turn: the conversation (history and the new message) through the model
 * and the session's tools, streamed back as AI SDK UI message events; `storeReply` gets the
 * finished reply. Everything before it (identity, limits, history) is the handler's.
 */
export async function streamReply(turn: {
  model: LanguageModel;
  messages: UIMessage[];
  tools: ToolSet;
  conversationId: string;
  storeReply: (reply: UIMessage) => Promise<void>;
}): Promise<Response> {
  const { model, messages, tools, conversationId } = turn;
  const result = streamText({
    model,
    system: SYSTEM_PROMPT,
    messages: await convertToModelMessages(messages, { tools, ignoreIncompleteToolCalls: true }),
    tools,
    stopWhen: stepCountIs(MAX_STEPS),
    // The provider's message can quote credentials (a masked API key): log its kind and status only.
    onError: ({ error }) =>
      log.error(
        { err: (error as Error).name, status: (error as { statusCode?: number }).statusCode ?? null, conversationId },
        "chat: model stream failed",
      ),
  });
  return result.toUIMessageStreamResponse({
    originalMessages: messages,
    // Without it the reply's id is "", so every reply (of any conversation) would be stored in one row.
    generateMessageId: () => crypto.randomUUID(),
    onFinish: ({ responseMessage }) => turn.storeReply(responseMessage),
    // One place decides what a customer may see of a failure: never the error itself.
    onError: () => "Something went wrong on our side. Please try again in a moment.",
  });
}

/** POST /api/chat: one customer turn, streamed back. */
export async function handleChatPost(request: Request, deps: ChatDeps): Promise<Response> {
  const identity = await authenticate(request, deps.identitySecret);
  if (!identity) return unauthorized();
  const limit = await deps.rateLimiter.check({ customerKey: identity, ip: clientIp(request) });
  if (!limit.ok) {
    return json(
      429,
      { error: `You're sending messages faster than I can answer. Please wait ${limit.retryAfterSeconds} seconds.` },
      { "retry-after": String(limit.retryAfterSeconds) },
    );
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return json(400, { error: "The request body is not JSON." });
  }
  const parsed = chatRequest.safeParse(body);
  if (!parsed.success) return json(400, { error: "The request is not a chat message." });
  const latest = parsed.data.messages.at(-1)!;
  const text = textParts.safeParse(latest.parts.filter((part) => (part as { type?: unknown }).type === "text"));
  if (latest.role !== "user" || !text.success) return json(400, { error: "Send one text message of up to 2,000 characters." });

  const conversationId = parsed.data.id;
  const userParts: UIMessage["parts"] = text.data.map((part) => ({ type: "text", text: part.text }));
  const [turn] = await deps.db.sql<TurnStart>(
    OPEN_TURN_SQL,
    [conversationId, identity, ...identityParams(identity), latest.id, JSON.stringify(userParts)],
    { prepare: "chat_open_turn" },
  );
  if (!turn || turn.owner !== identity) return json(404, { error: "No such conversation." });
  const { customerId, history: messages } = turn;
  const tools = createTools({ identity, db: deps.db, catalog: deps.catalog });
  return streamReply({
    model: deps.model,
    messages,
    tools,
    conversationId,
    storeReply: async (reply) => {
      try {
        await deps.db.sql(
          STORE_REPLY_SQL,
          [conversationId, reply.id, reply.role, JSON.stringify(reply.parts), customerId],
          { prepare: "chat_store_reply" },
        );
      } catch (error) {
        log.error({ err: (error as Error).message, conversationId }, "chat: could not store the reply");
      }
    },
  });
}

/** GET /api/chat: the identity's latest conversation, for the widget to restore after a reload. */
export async function handleChatGet(request: Request, deps: ChatDeps): Promise<Response> {
  const identity = await authenticate(request, deps.identitySecret);
  if (!identity) return unauthorized();
  const [latestConversation] = await deps.db.sql<{ id: string; messages: UIMessage[] }>(LATEST_CONVERSATION_SQL, [identity]);
  return json(200, latestConversation ?? { id: null, messages: [] });
}

/** Both handlers bound to their dependencies. */
export const createChatHandlers = (deps: ChatDeps) => ({
  post: (request: Request) => handleChatPost(request, deps),
  get: (request: Request) => handleChatGet(request, deps),
});
