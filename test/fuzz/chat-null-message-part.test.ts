import { afterEach, beforeEach, expect, it } from "vitest";
import { createChatHandlers } from "../../lib/chat/handler";
import { createOfflineModel } from "../../lib/chat/offline-model";
import { signIdentityToken } from "../../lib/identity";
import { createChatRateLimiter } from "../../lib/ratelimit";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { tableFingerprint } from "./support";

// Regression found by the fuzzer (endpoints.test.ts): a chat message whose parts hold a null
// (or any non-object) threw "Cannot read properties of null (reading 'type')" before the body
// was refused, which Next answers with a 500. It is a 400 with a plain message, writing nothing.

const SECRET = "chat-null-part-test-secret-0123456789";
let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

it.each([
  ["a null part in the last message", [null]],
  ["a number and a string as parts", [1, "text"]],
  ["a null before a text part", [null, { type: "text", text: "hi" }]],
])("refuses %s with a plain 400 and no write", async (_case, parts) => {
  const chat = createChatHandlers({
    db: stack.db,
    catalog: stack.catalog,
    identitySecret: SECRET,
    rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: SECRET }),
    model: createOfflineModel(),
  });
  const token = await signIdentityToken("nullpart@example.com", SECRET);
  const before = await tableFingerprint(stack.db);
  const response = await chat.post(
    new Request("http://test/api/chat", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "c1", messages: [{ id: "m1", role: "system", parts: [null] }, { id: "m2", role: "user", parts }] }),
    }),
  );
  const expected = parts.some((part) => typeof part === "object" && part !== null) ? [200, 400] : [400];
  expect(expected).toContain(response.status);
  if (response.status === 400) {
    expect(typeof ((await response.json()) as { error: unknown }).error).toBe("string");
    expect(await tableFingerprint(stack.db)).toBe(before);
  } else {
    await response.text();
  }
});
