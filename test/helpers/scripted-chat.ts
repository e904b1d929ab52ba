import crypto from "node:crypto";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { createChatHandlers } from "../../lib/chat/handler";
import { signIdentityToken } from "../../lib/identity";
import { createChatRateLimiter } from "../../lib/ratelimit";
import type { Stack } from "../../lib/sandbox/stack";

// A chat wired to the stack with a scripted model: each turn calls one tool (with the arguments
// `call` gives), then answers in text once the tool's result is back. A model that fails answers
// with a stream error instead. For the metrics and log tests, which must not depend on the
// offline model's understanding.

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const finish = { type: "finish" as const, finishReason: { unified: "stop" as const, raw: "stop" }, usage };

export interface ScriptedTool {
  toolName: "getEntitlement" | "openBillingTicket" | "resendInvite";
  input: Record<string, unknown>;
}

export function scriptedModel(call: () => ScriptedTool | "fail") {
  return new MockLanguageModelV3({
    doStream: async ({ prompt }) => {
      const last = prompt.at(-1);
      if (last?.role === "tool") {
        return { stream: simulateReadableStream({ chunks: [{ type: "stream-start", warnings: [] }, { type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Done: a person will follow up." }, { type: "text-end", id: "t" }, finish] }) };
      }
      const next = call();
      if (next === "fail") return { stream: simulateReadableStream({ chunks: [{ type: "stream-start", warnings: [] }, { type: "error", error: new Error("provider said 500 for sk_test_leakedkey123") }] }) };
      return {
        stream: simulateReadableStream({
          chunks: [
            { type: "stream-start", warnings: [] },
            { type: "tool-call", toolCallId: crypto.randomUUID(), toolName: next.toolName, input: JSON.stringify(next.input) },
            { ...finish, finishReason: { unified: "tool-calls" as const, raw: "tool_calls" } },
          ],
        }),
      };
    },
  });
}

export const CHAT_SECRET = "scripted-chat-identity-secret-32-bytes!!";

export function scriptedChat(stack: Stack, call: () => ScriptedTool | "fail") {
  const handlers = createChatHandlers({
    db: stack.db,
    catalog: stack.catalog,
    identitySecret: CHAT_SECRET,
    rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: CHAT_SECRET }),
    model: scriptedModel(call),
  });
  return {
    /** One customer turn; resolves with the streamed body once the stream (and the reply's storing) is done. */
    async say(email: string, conversationId: string, text: string): Promise<{ status: number; body: string }> {
      const token = await signIdentityToken(email, CHAT_SECRET);
      const response = await handlers.post(
        new Request("http://test/api/chat", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ id: conversationId, messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }] }),
        }),
      );
      return { status: response.status, body: await response.text() };
    },
    token: (email: string) => signIdentityToken(email, CHAT_SECRET),
  };
}
