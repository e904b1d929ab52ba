import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLogs } from "../../lib/log";
import { startStack, KIT_SECRET, STRIPE_SECRET, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase, signStripe } from "../../lib/sandbox/stripe-events";
import { signKitPayload } from "../../lib/webhooks/kit";
import { CHAT_SECRET, scriptedChat, type ScriptedTool } from "../helpers/scripted-chat";

// Every log line written while the webhook, worker and chat flows run (at every level, after
// redaction): none holds an email address, a secret, a signature header or a token, though the
// flows hand the code plenty (signed deliveries, refused ones, a provider error quoting the
// member's address, identity tokens, a model failure quoting a key). Each line of a delivery, a
// job or a chat turn carries its correlation id.

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
let stack: Stack;
let capture: ReturnType<typeof captureLogs>;
const secrets: string[] = [STRIPE_SECRET, KIT_SECRET, CHAT_SECRET];
const sent: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  capture = captureLogs();

  // Webhooks: a purchase, a refund, a redelivery, a forged and a stale signature, a malformed Kit batch.
  const p = newPurchase({ email: `Sam.Shopper+${crypto.randomUUID().slice(0, 6)}@example.com` });
  const checkout = checkoutCompleted(p);
  const raw = JSON.stringify(checkout);
  const signature = signStripe(raw, STRIPE_SECRET);
  sent.push(signature, p.email);
  const post = (body: string, header: string) =>
    stack.postRaw("stripe", new Request("http://test/api/webhooks/stripe", { method: "POST", headers: { "stripe-signature": header, "content-type": "application/json" }, body }));
  expect((await post(raw, signature)).status).toBe(200);
  expect((await post(raw, signature)).status).toBe(200);
  expect((await post(raw, signStripe(raw, "whsec_forged_secret_value"))).status).toBe(400);
  expect((await post(raw, signStripe(raw, STRIPE_SECRET, Math.floor(Date.now() / 1000) - 3_600))).status).toBe(400);
  expect((await post("{not json", signStripe("{not json", STRIPE_SECRET))).status).toBe(400);
  const kitBody = JSON.stringify({ events: [{ id: "kit-evt-1", type: "subscriber.unsubscribed", created: new Date().toISOString(), subscriber: { email: p.email } }] });
  const kitSignature = signKitPayload(kitBody, KIT_SECRET);
  sent.push(kitSignature);
  await stack.postRaw("kit", new Request("http://test/api/webhooks/kit", { method: "POST", headers: { "x-kit-signature": kitSignature }, body: kitBody }));
  await stack.postRaw("kit", new Request("http://test/api/webhooks/kit", { method: "POST", headers: { "x-kit-signature": signKitPayload(kitBody, "wrong-kit-secret") }, body: kitBody }));

  // The worker, with Circle failing twice (its error body quotes the member's address) and Kit once.
  stack.circle.fail({ status: 500, times: 2 });
  stack.kit.fail({ status: 503, times: 1 });
  await stack.drain();
  expect((await stack.postStripe(invoiceEvent(p, "invoice.paid"))).status).toBe(200);
  expect((await stack.postStripe(chargeRefunded(p))).status).toBe(200);
  await stack.drain();

  // Chat: tool calls (a ticket opened, then added to), a read, and a model failure quoting a key.
  const calls: Array<ScriptedTool | "fail"> = [
    { toolName: "openBillingTicket", input: { category: "billing", summary: `refund to ${p.email} please` } },
    { toolName: "openBillingTicket", input: { category: "billing", summary: "again" } },
    { toolName: "getEntitlement", input: {} },
    "fail",
  ];
  const chat = scriptedChat(stack, () => calls.shift()!);
  sent.push(await chat.token(p.email));
  const conversation = crypto.randomUUID();
  for (const text of [`I'm ${p.email}, was I refunded?`, "hello?", "what do I have", "and now"]) {
    expect((await chat.say(p.email, conversation, text)).status).toBe(200);
  }
  capture.stop();
});
afterAll(async () => {
  capture?.stop();
  await stack?.stop();
});

const records = () => capture.lines.map((line) => JSON.parse(line) as Record<string, unknown> & { msg?: string; correlationId?: string });

describe("log lines of the webhook, worker and chat flows", () => {
  it("were captured, at every level the flows log at", () => {
    const messages = records().map((record) => record.msg);
    expect(messages).toContain("webhook answered");
    expect(messages).toContain("webhook refused");
    expect(messages).toContain("job failed; retrying");
    expect(messages).toContain("chat: model stream failed");
  });

  it("hold no email address, secret, signature header or identity token", () => {
    expect(capture.lines.length).toBeGreaterThan(0);
    for (const line of capture.lines) {
      expect(line).not.toMatch(EMAIL);
      for (const value of [...secrets, ...sent]) expect(line).not.toContain(value);
      expect(line).not.toMatch(/whsec_|sk_test_|eyJ[\w-]+\.[\w-]+/);
      expect(line).not.toMatch(/t=\d+,v1=[0-9a-f]{64}/);
    }
  });

  it("carry the correlation id of their delivery, job or turn", () => {
    const all = records();
    const deliveries = all.filter((record) => record.msg === "webhook answered" || record.msg === "webhook refused");
    expect(deliveries.length).toBeGreaterThanOrEqual(9);
    for (const record of deliveries) expect(record.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    // Each delivery its own id.
    expect(new Set(deliveries.map((record) => record.correlationId)).size).toBe(deliveries.length);
    const jobs = all.filter((record) => record.msg === "job failed; retrying");
    expect(jobs.length).toBeGreaterThan(0);
    for (const record of jobs) expect(record.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("name a Stripe event's ledger row (and so its apply job, which logs under it) by its delivery's id", async () => {
    const answered = new Set(records().filter((record) => record.msg === "webhook answered").map((record) => record.correlationId));
    const rows = await stack.db.sql<{ id: string }>(`SELECT id FROM "WebhookEvent" WHERE provider = 'stripe'`);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(answered).toContain(row.id);
    const applies = await stack.db.sql<{ ledgerId: string }>(`SELECT payload->>'ledgerId' AS "ledgerId" FROM "Job" WHERE kind = 'lifecycle.apply'`);
    for (const job of applies) expect(answered).toContain(job.ledgerId);
  });
});
