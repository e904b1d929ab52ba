import type { Database, Session } from "../db";
import { metrics } from "../metrics";

// The escalation queue, the only writer of tickets and their notes. One ticket per customer
// journey and category, whoever opens it (the chat or the system): asking again appends an
// "ask" note to the ticket that exists (and reopens it if it was resolved) instead of opening
// another, so a ticket's asks are its ask notes plus the one that opened it.

export const TICKET_CATEGORIES = ["billing", "access", "refund", "cancellation", "other"] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];
export const TICKET_STATUSES = ["open", "pending", "resolved"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketSource = "chat" | "system";

/** The per-journey dedup: one ticket per (customer or identity, journey, category). */
export function ticketDedupeKey(customerRef: string, journeyId: string | null, category: string): string {
  return `${customerRef}|${journeyId ?? "no-journey"}|${category}`;
}

/** Who wrote a note that came with an ask: the customer in the chat, or the system. */
const askAuthor = (source: TicketSource) => (source === "chat" ? "customer" : "system");

export interface TicketRequest {
  /** Null when the verified identity has no record yet (paid with another email, say). */
  customerId: string | null;
  identity: string;
  category: TicketCategory;
  summary: string;
  source: TicketSource;
  /** The chat conversation the ask came from: where a person's replies reach the customer. */
  conversationId?: string | null;
}

export interface TicketOutcome {
  ticketId: string;
  status: TicketStatus;
  created: boolean;
  reopened: boolean;
  journeyId: string | null;
}

// Adds the ask to the ticket of its key (an ask note; a resolved ticket reopens; an ask from a
// chat points the ticket at that conversation), or opens it.
const OPEN_OR_REUSE_SQL = `
WITH existing AS (SELECT id, status FROM "Ticket" WHERE "dedupeKey" = $1),
noted AS (
  INSERT INTO "TicketNote" (id, "ticketId", body, source, kind, author)
  SELECT gen_random_uuid(), id, $6, $7::"TicketSource", 'ask', $9 FROM existing),
reused AS (
  UPDATE "Ticket" ticket
     SET status = CASE WHEN existing.status = 'resolved' THEN 'open'::"TicketStatus" ELSE ticket.status END,
         "resolvedAt" = CASE WHEN existing.status = 'resolved' THEN NULL ELSE ticket."resolvedAt" END,
         "conversationId" = COALESCE($8, ticket."conversationId"), "updatedAt" = now()
    FROM existing WHERE ticket.id = existing.id
  RETURNING ticket.id, ticket.status::text AS status, existing.status = 'resolved' AS reopened),
created AS (
  INSERT INTO "Ticket" (id, "customerId", identity, "journeyId", category, summary, source, "dedupeKey", "conversationId", "updatedAt")
  SELECT gen_random_uuid(), $2, $3, $4, $5, $6, $7::"TicketSource", $1, $8, now() WHERE NOT EXISTS (SELECT 1 FROM existing)
  RETURNING id, status::text AS status, false AS reopened)
SELECT id, status, reopened, false AS created FROM reused UNION ALL SELECT id, status, reopened, true FROM created`;

/**
 * The journey an ask belongs to: for access, the purchase still running (the one a grant
 * serves), else the customer's latest journey, the episode a question most likely belongs to.
 * The chat and the system choose alike, so their asks about one problem meet on one ticket.
 */
const JOURNEY_SQL = `
SELECT id FROM "Journey" WHERE "customerId" = $1
 ORDER BY ($2 = 'access' AND kind = 'purchase' AND "endedAt" IS NULL) DESC, "startedAt" DESC LIMIT 1`;

/** Counts an ask once its transaction committed: a new ticket, or one folded into the ticket there. */
function counted(source: TicketSource, outcome: TicketOutcome): TicketOutcome {
  metrics().tickets.inc({ source, result: outcome.created ? "opened" : "deduplicated" });
  return outcome;
}

async function openOrReuse(tx: Session, request: TicketRequest): Promise<TicketOutcome> {
  const [journey] = request.customerId ? await tx.sql<{ id: string }>(JOURNEY_SQL, [request.customerId, request.category]) : [];
  const journeyId = journey?.id ?? null;
  const dedupeKey = ticketDedupeKey(request.customerId ?? `identity:${request.identity}`, journeyId, request.category);
  // Serialises two asks racing for the same ticket.
  await tx.sql(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text`, [`ticket:${dedupeKey}`]);
  const [row] = await tx.sql<{ id: string; status: TicketStatus; reopened: boolean; created: boolean }>(OPEN_OR_REUSE_SQL, [
    dedupeKey,
    request.customerId,
    request.identity,
    journeyId,
    request.category,
    request.summary,
    request.source,
    request.conversationId ?? null,
    askAuthor(request.source),
  ]);
  if (!row) throw new Error("ticket was neither found nor created");
  return { ticketId: row.id, status: row.status, created: row.created, reopened: row.reopened, journeyId };
}

/** A customer's ask from the chat (or any ask naming its identity): opens the ticket, or adds to it. */
export async function openOrReuseTicket(db: Database, request: TicketRequest): Promise<TicketOutcome> {
  return counted(request.source, await db.transaction((tx) => openOrReuse(tx, request)));
}

/**
 * Something the system could not do for a customer (a Circle grant that dead-lettered): opens the
 * ticket of its category on the customer's journey, or adds a system ask to the one there, a
 * chat's included. Null when the customer no longer exists.
 */
export async function escalateForCustomer(
  db: Database,
  escalation: { customerId: string; category: TicketCategory; summary: string },
): Promise<TicketOutcome | null> {
  return db.transaction(async (tx) => {
    const [customer] = await tx.sql<{ email: string }>(`SELECT email FROM "Customer" WHERE id = $1`, [escalation.customerId]);
    if (!customer) return null;
    return openOrReuse(tx, { ...escalation, identity: customer.email, source: "system" });
  }).then((outcome) => outcome && counted("system", outcome));
}

export interface SystemTicket {
  journeyId: string;
  category: TicketCategory;
  summary: string;
}

/**
 * Tickets the system opens (an unpaid grace window ended), inside the caller's transaction: one
 * per customer, journey and category. A system ticket that exists is kept as it is (each fold
 * of the record asks again); a ticket the chat opened first gets the system's ask as a note,
 * once (and reopens if it was resolved).
 */
export async function openSystemTickets(tx: Session, customerId: string, tickets: SystemTicket[]): Promise<void> {
  if (tickets.length === 0) return;
  const rows = tickets.map((ticket) => ({ ...ticket, dedupeKey: ticketDedupeKey(customerId, ticket.journeyId, ticket.category) }));
  await tx.sql(
    `WITH asked AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS t("journeyId" text, category text, summary text, "dedupeKey" text)),
     created AS (
       INSERT INTO "Ticket" (id, "customerId", identity, "journeyId", category, source, summary, "dedupeKey", "updatedAt")
       SELECT gen_random_uuid(), $1, customer.email, asked."journeyId", asked.category, 'system', asked.summary, asked."dedupeKey", now()
         FROM asked, "Customer" customer
        WHERE customer.id = $1
       ON CONFLICT ("dedupeKey") DO NOTHING),
     noted AS (
       INSERT INTO "TicketNote" (id, "ticketId", body, source, kind, author)
       SELECT gen_random_uuid(), ticket.id, asked.summary, 'system', 'ask', 'system'
         FROM asked JOIN "Ticket" ticket ON ticket."dedupeKey" = asked."dedupeKey"
        WHERE ticket.source = 'chat'
          AND NOT EXISTS (SELECT 1 FROM "TicketNote" note WHERE note."ticketId" = ticket.id AND note.source = 'system' AND note.body = asked.summary)
       RETURNING "ticketId")
     UPDATE "Ticket" SET status = CASE WHEN status = 'resolved' THEN 'open'::"TicketStatus" ELSE status END,
            "resolvedAt" = CASE WHEN status = 'resolved' THEN NULL ELSE "resolvedAt" END, "updatedAt" = now()
      WHERE id IN (SELECT "ticketId" FROM noted)`,
    [customerId, JSON.stringify(rows)],
  );
}

/** A customer's message in a chat a person holds: a note on the ticket, which is theirs to answer again. */
export async function addCustomerMessage(db: Database, ticketId: string, text: string): Promise<void> {
  await db.sql(
    `WITH noted AS (
       INSERT INTO "TicketNote" (id, "ticketId", body, source, kind, author)
       VALUES (gen_random_uuid(), $1, $2, 'chat', 'customer_message', 'customer') RETURNING "ticketId")
     UPDATE "Ticket" SET status = CASE WHEN status = 'pending' THEN 'open'::"TicketStatus" ELSE status END, "updatedAt" = now()
      WHERE id IN (SELECT "ticketId" FROM noted)`,
    [ticketId, text],
  );
}

/** A merged customer's tickets go with their history to the record it was merged into. */
export async function moveTickets(tx: Session, fromCustomerId: string, intoCustomerId: string): Promise<number> {
  const rows = await tx.sql(`UPDATE "Ticket" SET "customerId" = $2, "updatedAt" = now() WHERE "customerId" = $1 RETURNING id`, [fromCustomerId, intoCustomerId]);
  return rows.length;
}
