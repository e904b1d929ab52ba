import { convertToModelMessages, stepCountIs, streamText, type LanguageModel, type UIMessage } from "ai";
import { z } from "zod";
import type { Database } from "../db";
import { bearerToken, verifyIdentityToken } from "../identity";
import type { PlanCatalog } from "../lifecycle/catalog";
import { log } from "../log";
import type { ChatRateLimiter } from "../ratelimit";
import { findCustomerId } from "../customers/record";
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

const textPart = z.object({ type: z.literal("text"), text: z.string().trim().min(1).max(2_000) });
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

export function createChatHandlers(deps: ChatDeps) {
  async function history(conversationId: string): Promise<UIMessage[]> {
    const rows = await deps.db.prisma.message.findMany({
      where: { conversationId },
      orderBy: { createdAt: "asc" },
      take: -MAX_HISTORY,
    });
    return rows.map((row) => ({ id: row.id, role: row.role as UIMessage["role"], parts: row.parts as UIMessage["parts"] }));
  }

  async function post(request: Request): Promise<Response> {
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
    const text = z.array(textPart).min(1).safeParse(latest.parts.filter((part) => (part as { type?: unknown }).type === "text"));
    if (latest.role !== "user" || !text.success) return json(400, { error: "Send one text message of up to 2,000 characters." });

    const conversationId = parsed.data.id;
    const existing = await deps.db.prisma.conversation.findUnique({ where: { id: conversationId } });
    if (existing && existing.identity !== identity) return json(404, { error: "No such conversation." });
    const customerId = await findCustomerId(deps.db, identity);
    if (!existing) await deps.db.prisma.conversation.create({ data: { id: conversationId, identity, customerId } });

    const userMessage: UIMessage = { id: latest.id, role: "user", parts: text.data.map((part) => ({ type: "text", text: part.text })) };
    // One INSERT; a resent message (same id) is kept as it was.
    await deps.db.prisma.message.createMany({
      data: [{ id: userMessage.id, conversationId, role: "user", parts: userMessage.parts as object[] }],
      skipDuplicates: true,
    });
    const messages = [...(await history(conversationId))];
    const tools = createTools({ identity, db: deps.db, catalog: deps.catalog });
    const result = streamText({
      model: deps.model,
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
      onFinish: async ({ responseMessage }) => {
        try {
          await deps.db.prisma.message.upsert({
            where: { id: responseMessage.id },
            create: { id: responseMessage.id, conversationId, role: responseMessage.role, parts: responseMessage.parts as object[] },
            update: { parts: responseMessage.parts as object[] },
          });
          await deps.db.prisma.conversation.update({ where: { id: conversationId }, data: { customerId: customerId ?? undefined } });
        } catch (error) {
          log.error({ err: (error as Error).message, conversationId }, "chat: could not store the reply");
        }
      },
      // One place decides what a customer may see of a failure: never the error itself.
      onError: () => "Something went wrong on our side. Please try again in a moment.",
    });
  }

  /** The identity's latest conversation, for the widget to restore after a reload. */
  async function get(request: Request): Promise<Response> {
    const identity = await authenticate(request, deps.identitySecret);
    if (!identity) return unauthorized();
    const conversation = await deps.db.prisma.conversation.findFirst({ where: { identity }, orderBy: { updatedAt: "desc" } });
    if (!conversation) return json(200, { id: null, messages: [] });
    return json(200, { id: conversation.id, messages: await history(conversation.id) });
  }

  return { post, get };
}
