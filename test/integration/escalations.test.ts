import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOfflineModel } from "../../lib/chat/offline-model";
import { createChatHandlers } from "../../lib/chat/handler";
import { signIdentityToken } from "../../lib/identity";
import { createChatRateLimiter } from "../../lib/ratelimit";
import { recheckCustomer } from "../../lib/record/apply";
import { ticketReference } from "../../lib/record/entitlement-view";
import { findCustomerId } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, invoiceEvent, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";
import { createTools } from "../../tools";
import type { OpenBillingTicketOutput } from "../../tools/openBillingTicket";

// One open ticket per (customer, journey, category), whoever opens it: the chat's asks and the
// system's escalations (a Circle grant that dead-lettered, an unpaid grace window) meet on one
// ticket, its repeats counted as ask notes.

const SECRET = "escalations-test-identity-secret-0123456789";
let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.stop();
});

/** The chat's ticket tool, as a chat request builds it: bound to the customer and the conversation. */
async function chatAsk(p: Purchase, category: "access" | "billing", summary: string) {
  const [conversation] = await stack.db.sql<{ id: string }>(
    `INSERT INTO "Conversation" (id, identity, "updatedAt") VALUES (gen_random_uuid(), $1, now()) RETURNING id`,
    [p.email],
  );
  const tools = createTools({ identity: p.email, db: stack.db, catalog: stack.catalog, conversationId: conversation!.id });
  return (await tools.openBillingTicket.execute!({ category, summary }, { toolCallId: "call", messages: [] })) as OpenBillingTicketOutput;
}

interface TicketRow {
  id: string;
  category: string;
  source: string;
  status: string;
  journey: string | null;
  asks: number;
  summary: string;
  conversationId: string | null;
  [key: string]: unknown;
}

const tickets = () =>
  stack.db.sql<TicketRow>(
    `SELECT ticket.id, ticket.category, ticket.source::text AS source, ticket.status::text AS status, journey.kind::text AS journey, ticket.summary, ticket."conversationId",
            1 + (SELECT count(*)::int FROM "TicketNote" WHERE "ticketId" = ticket.id AND kind = 'ask') AS asks
       FROM "Ticket" ticket LEFT JOIN "Journey" journey ON journey.id = ticket."journeyId" ORDER BY ticket.category`,
  );

const askNotes = () => stack.db.sql<{ source: string; author: string }>(`SELECT source::text AS source, author FROM "TicketNote" WHERE kind = 'ask' ORDER BY "createdAt"`);

describe("system escalations", () => {
  it("two chat asks and a dead-lettered Circle grant in one journey make one access ticket with three asks, and one per other category", async () => {
    stack.circle.fail({ status: 500, times: 10_000 });
    const p = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    // The purchase is applied; the grant is still being retried.
    await stack.worker.runOnce();
    const first = await chatAsk(p, "access", "I paid but have no community invite");
    expect(first.created).toBe(true);
    await stack.drain();
    const [grantJob] = await stack.db.sql<{ status: string }>(`SELECT status::text AS status FROM "Job" WHERE kind = 'circle.grant'`);
    expect(grantJob?.status).toBe("dead");
    const second = await chatAsk(p, "access", "Still no invite, please help");
    expect(second).toMatchObject({ reference: first.reference, created: false });
    await chatAsk(p, "billing", "Was I charged twice?");

    const rows = await tickets();
    expect(rows).toMatchObject([
      { category: "access", source: "chat", status: "open", journey: "purchase", asks: 3 },
      { category: "billing", source: "chat", status: "open", journey: "purchase", asks: 1 },
    ]);
    expect(rows[0]!.conversationId).not.toBeNull();
    expect(await askNotes()).toEqual([
      { source: "system", author: "system" },
      { source: "chat", author: "customer" },
    ]);
  });

  it("a dead letter opens the access ticket, in plain words; the chat states it instead of opening another", async () => {
    stack.circle.fail({ status: 500, times: 10_000 });
    const p = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    await stack.drain();
    const [opened] = await tickets();
    expect(opened).toMatchObject({ category: "access", source: "system", journey: "purchase", asks: 1, conversationId: null });
    expect(opened!.summary).toMatch(/could not be set up in Circle/);
    expect(opened!.summary).not.toContain(p.email);
    expect(opened!.summary).not.toMatch(/server_error|500/);

    // The offline model, asked about access, finds the open ticket and gives its reference.
    const chat = createChatHandlers({
      db: stack.db,
      catalog: stack.catalog,
      identitySecret: SECRET,
      rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: SECRET }),
      model: createOfflineModel(),
    });
    const token = await signIdentityToken(p.email, SECRET);
    const response = await chat.post(
      new Request("http://test/api/chat", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ id: "conv-escalated", messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "what's happening with my community access?" }] }] }),
      }),
    );
    const streamed = (await response.text())
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: string })
      .flatMap((event) => (event.type === "text-delta" ? [event.delta] : []))
      .join("");
    expect(streamed).toContain(`already has this in hand. Your ticket ${ticketReference(opened!.id)}`);
    expect(await tickets()).toMatchObject([{ category: "access", source: "system", asks: 1 }]);

    // An ask from the chat's tool for the same problem (a hosted model choosing "access") is counted on it.
    const again = await chatAsk(p, "access", "Can someone fix my access?");
    expect(again.created).toBe(false);
    expect(await tickets()).toMatchObject([{ category: "access", source: "system", asks: 2 }]);
  });

  it("an unpaid grace window adds the system's ask to the chat's billing ticket for that failure, once", async () => {
    const day = 86_400;
    const p = newPurchase({ at: Math.floor(Date.now() / 1000) - 40 * day });
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    expect((await stack.postStripe(invoiceEvent(p, "invoice.paid", { created: p.at + 60 }))).status).toBe(200);
    await stack.drain();
    // The renewal failed 7 days ago less 3 seconds: the grace window ends in 3 seconds.
    const failedAt = Math.floor(Date.now() / 1000) - 7 * day + 3;
    expect((await stack.postStripe(invoiceEvent(p, "invoice.payment_failed", { created: failedAt, invoiceId: "in_renewal" }))).status).toBe(200);
    await stack.worker.runOnce();
    expect(await chatAsk(p, "billing", "My card was declined, what now?")).toMatchObject({ created: true });
    // The re-check at the end of the window opens the system's billing ticket: here, the chat's.
    await stack.drain();
    const rows = await tickets();
    expect(rows).toMatchObject([{ category: "billing", source: "chat", journey: "payment_failure", asks: 2 }]);
    // Every later fold asks again; the note is not repeated.
    await recheckCustomer(stack.db, stack.catalog, (await findCustomerId(stack.db, p.email))!);
    expect(await tickets()).toMatchObject([{ category: "billing", asks: 2 }]);
    expect(await askNotes()).toEqual([{ source: "system", author: "system" }]);
  });
});
