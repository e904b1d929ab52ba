import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as metricsRoute } from "../../app/api/metrics/route";
import type { AddressInfo } from "node:net";
import { parseEnv } from "../../lib/config";
import { renderMetrics, serveProcessMetrics } from "../../lib/observability/metrics-endpoint";
import type { Database } from "../../lib/db";
import type { Runtime } from "../../lib/runtime";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { chargeRefunded, checkoutCompleted, invoiceEvent, newPurchase } from "../../lib/sandbox/stripe-events";
import { parseSamples, valueOf, type Sample } from "../helpers/prom-text";
import { scriptedChat, type ScriptedTool } from "../helpers/scripted-chat";

// GET /api/metrics (the route handler, behind its token) after a scripted purchase and refund
// through the real webhook handler and worker against the fake Circle and Kit: the process's
// counters and the figures read from the database count what happened, step by step.

const TOKEN = "metrics-test-token-of-some-length";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  // The route reads the process runtime's env and database: this test's stack stands in for it.
  const runtime = { env: parseEnv({ APP_MODE: "demo", METRICS_TOKEN: TOKEN }), db: stack.db } as unknown as Runtime;
  (globalThis as typeof globalThis & { __entitledRuntime?: Promise<Runtime> }).__entitledRuntime = Promise.resolve(runtime);
});
afterAll(async () => {
  await stack.stop();
});

async function scrape(): Promise<Sample[]> {
  const response = await metricsRoute(new Request("http://test/api/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  return parseSamples(await response.text());
}

/** What changed in each counter between two scrapes. */
const delta = (before: Sample[], after: Sample[]) => (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);

describe("GET /api/metrics", () => {
  it("refuses a scrape without the token", async () => {
    expect((await metricsRoute(new Request("http://test/api/metrics"))).status).toBe(401);
    expect((await metricsRoute(new Request("http://test/api/metrics", { headers: { authorization: "Bearer wrong" } }))).status).toBe(401);
  });

  it("counts a purchase and its refund: webhooks, acknowledgements, jobs, access waits, payment to access", async () => {
    const before = await scrape();
    const p = newPurchase();
    const checkout = checkoutCompleted(p);

    // The purchase arrives: recorded, not applied yet.
    expect((await stack.postStripe(checkout)).status).toBe(200);
    expect((await stack.postStripe(invoiceEvent(p, "invoice.paid"))).status).toBe(200);
    let now = await scrape();
    expect(valueOf(now, "entitled_payment_events_unapplied")).toBe(2);
    expect(valueOf(now, "entitled_queue_due_jobs")).toBe(2);

    // Applied, the grant not yet carried out: one paying customer waiting for access.
    await stack.worker.runOnce();
    now = await scrape();
    expect(valueOf(now, "entitled_payment_events_unapplied")).toBe(0);
    expect(valueOf(now, "entitled_access_grants_pending")).toBe(1);

    await stack.drain();
    // Stripe redelivers, and someone posts without a valid signature.
    expect((await stack.postStripe(checkout)).status).toBe(200);
    expect((await stack.postStripe(checkout, { secret: "whsec_not_the_secret" })).status).toBe(400);
    now = await scrape();
    expect(valueOf(now, "entitled_access_grants_pending")).toBe(0);
    expect(valueOf(now, "entitled_purchases_last_hour")).toBe(1);
    expect(valueOf(now, "entitled_payment_to_access_last_hour_seconds_count")).toBe(1);
    expect(valueOf(now, "entitled_payment_to_access_last_hour_seconds_bucket", { le: "+Inf" })).toBe(1);
    expect(valueOf(now, "entitled_payment_to_access_last_hour_seconds_bucket", { le: "60" })).toBe(1);

    // The refund: applied, the revoke not carried out yet, then done.
    expect((await stack.postStripe(chargeRefunded(p))).status).toBe(200);
    await stack.worker.runOnce();
    now = await scrape();
    expect(valueOf(now, "entitled_access_revokes_pending")).toBe(1);
    await stack.drain();
    const after = await scrape();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([]);

    const changed = delta(before, after);
    expect(changed("entitled_webhook_events_total", { provider: "stripe", result: "recorded" })).toBe(3);
    expect(changed("entitled_webhook_events_total", { provider: "stripe", result: "duplicate" })).toBe(1);
    expect(changed("entitled_webhook_events_total", { provider: "stripe", result: "rejected" })).toBe(1);
    expect(changed("entitled_webhook_events_total", { provider: "stripe", result: "error" })).toBe(0);
    expect(changed("entitled_webhook_ack_seconds_count", { provider: "stripe", status: "2xx" })).toBe(4);
    expect(changed("entitled_webhook_ack_seconds_count", { provider: "stripe", status: "4xx" })).toBe(1);
    // One apply per new event; one grant and one revoke in Circle (retries, if a slow fake timed out, count as retry).
    expect(changed("entitled_jobs_settled_total", { kind: "lifecycle.apply", outcome: "succeeded" })).toBe(3);
    expect(changed("entitled_jobs_settled_total", { kind: "circle.grant", outcome: "succeeded" })).toBe(1);
    expect(changed("entitled_jobs_settled_total", { kind: "circle.revoke", outcome: "succeeded" })).toBe(1);
    expect(changed("entitled_jobs_settled_total", { outcome: "dead" })).toBe(0);
    expect(changed("entitled_job_attempts_count", { kind: "circle.grant" })).toBe(1);
    const [grantJob] = await stack.db.sql<{ attempts: number }>(`SELECT attempts FROM "Job" WHERE kind = 'circle.grant'`);
    expect(changed("entitled_job_attempts_sum", { kind: "circle.grant" })).toBe(grantJob!.attempts);
    // The database's own count agrees with the process's.
    expect(valueOf(after, "entitled_jobs_by_kind", { status: "succeeded", kind: "circle.grant" })).toBe(1);
    expect(valueOf(after, "entitled_jobs_by_kind", { status: "succeeded", kind: "circle.revoke" })).toBe(1);
    expect(valueOf(after, "entitled_jobs_by_kind", { status: "succeeded", kind: "lifecycle.apply" })).toBe(3);
    expect(valueOf(after, "entitled_jobs", { status: "succeeded" })).toBe(valueOf(after, "entitled_jobs_by_kind", { status: "succeeded" }));
    expect(valueOf(after, "entitled_access_revokes_pending")).toBe(0);
    expect(valueOf(after, "entitled_dead_letters")).toBe(0);
    expect(valueOf(after, "entitled_queue_due_jobs")).toBe(0);
    expect(valueOf(after, "entitled_queue_oldest_due_age_seconds")).toBe(0);
    // The fakes' budgets were drawn on: Circle's and Kit's requests in their windows.
    expect(valueOf(after, "entitled_provider_budget_used", { provider: "circle" })).toBeGreaterThan(0);
    expect(valueOf(after, "entitled_provider_budget_used", { provider: "kit" })).toBeGreaterThan(0);
  });

  it("counts a dead letter, the grant it left undone and the access ticket it opened", async () => {
    const before = await scrape();
    stack.circle.fail({ status: 500, times: 1_000 });
    const p = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    await stack.drain();
    stack.circle.recover();
    const after = await scrape();
    const changed = delta(before, after);
    expect(valueOf(after, "entitled_dead_letters")).toBe(1);
    expect(valueOf(after, "entitled_jobs_by_kind", { status: "dead", kind: "circle.grant" })).toBe(1);
    expect(valueOf(after, "entitled_access_grants_pending")).toBe(1);
    expect(valueOf(after, "entitled_access_grants_pending_oldest_seconds")).toBeGreaterThan(0);
    expect(changed("entitled_jobs_settled_total", { kind: "circle.grant", outcome: "dead" })).toBe(1);
    expect(changed("entitled_jobs_settled_total", { kind: "circle.grant", outcome: "retry" })).toBe(7);
    expect(changed("entitled_job_attempts_bucket", { kind: "circle.grant", le: "8" })).toBe(1);
    expect(changed("entitled_job_attempts_bucket", { kind: "circle.grant", le: "6" })).toBe(0);
    expect(changed("entitled_tickets_total", { source: "system", result: "opened" })).toBe(1);
  });

  it("counts chat turns, tool calls, and tickets opened and deduplicated", async () => {
    const p = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    await stack.worker.runOnce();
    const calls: Array<ScriptedTool | "fail"> = [
      { toolName: "openBillingTicket", input: { category: "billing", summary: "I think I was charged twice" } },
      { toolName: "openBillingTicket", input: { category: "billing", summary: "still charged twice, please look" } },
      { toolName: "getEntitlement", input: {} },
      "fail",
    ];
    const chat = scriptedChat(stack, () => calls.shift()!);
    const before = await scrape();
    const conversation = crypto.randomUUID();
    for (const text of ["charged twice?", "hello again", "what do I have?", "and now?"]) {
      expect((await chat.say(p.email, conversation, text)).status).toBe(200);
    }
    const changed = delta(before, await scrape());
    expect(changed("entitled_chat_turns_total", { outcome: "answered" })).toBe(3);
    expect(changed("entitled_chat_turns_total", { outcome: "error" })).toBe(1);
    expect(changed("entitled_chat_tool_calls_total", { tool: "openBillingTicket", outcome: "ok" })).toBe(2);
    expect(changed("entitled_chat_tool_calls_total", { tool: "getEntitlement", outcome: "ok" })).toBe(1);
    expect(changed("entitled_tickets_total", { source: "chat", result: "opened" })).toBe(1);
    expect(changed("entitled_tickets_total", { source: "chat", result: "deduplicated" })).toBe(1);
  });

  it("scrapes that arrive together share one read of the database; a scrape after it reads again", async () => {
    let statements = 0;
    // The stack's database, counting the statements run through it.
    const counting = new Proxy(stack.db, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (key === "sql") {
          return (...args: Parameters<Database["sql"]>) => {
            statements += 1;
            return target.sql(...args);
          };
        }
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as Database;
    const alone = await renderMetrics(counting);
    const perScrape = statements;
    expect(perScrape).toBeGreaterThanOrEqual(5);

    statements = 0;
    const together = await Promise.all([renderMetrics(counting), renderMetrics(counting), renderMetrics(counting)]);
    expect(statements).toBe(perScrape);
    const jobLines = (body: string) => body.split("\n").filter((line) => line.startsWith("entitled_jobs{"));
    for (const scraped of together) expect(jobLines(scraped.body)).toEqual(jobLines(together[0]!.body));
    expect(jobLines(alone.body).length).toBeGreaterThan(0);

    statements = 0;
    await renderMetrics(counting);
    expect(statements).toBe(perScrape);
  });

  it("a worker's own endpoint serves its counters behind the same token, and not the database's figures", async () => {
    const server = await serveProcessMetrics(0, { METRICS_TOKEN: TOKEN, APP_MODE: "production" }, "127.0.0.1");
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/elsewhere`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      const samples = parseSamples(await response.text());
      expect(valueOf(samples, "entitled_jobs_settled_total", { kind: "circle.grant", outcome: "succeeded" })).toBeGreaterThanOrEqual(1);
      expect(samples.some((sample) => sample.name === "entitled_dead_letters")).toBe(false);
    } finally {
      server.close();
    }
  });
});
