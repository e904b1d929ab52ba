import type { Database, Session } from "../db";

// The escalation queue, the only writer of tickets and their notes. One ticket per customer
// journey and category: asking again appends a note to the ticket that exists (and reopens it
// if it was resolved) instead of opening another.

export const TICKET_CATEGORIES = ["billing", "access", "refund", "cancellation", "other"] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];
export type TicketStatus = "open" | "pending" | "resolved";

/** The per-journey dedup: one ticket per (customer or identity, journey, category). */
export function ticketDedupeKey(customerRef: string, journeyId: string | null, category: string): string {
  return `${customerRef}|${journeyId ?? "no-journey"}|${category}`;
}

export interface TicketRequest {
  /** Null when the verified identity has no record yet (paid with another email, say). */
  customerId: string | null;
  identity: string;
  category: TicketCategory;
  summary: string;
  source: "chat" | "system";
}

export interface TicketOutcome {
  ticketId: string;
  status: TicketStatus;
  created: boolean;
  reopened: boolean;
  journeyId: string | null;
}

// Adds the ask to the ticket of its key (a note; a resolved ticket reopens), or opens it.
const OPEN_OR_REUSE_SQL = `
WITH existing AS (SELECT id, status FROM "Ticket" WHERE "dedupeKey" = $1),
noted AS (
  INSERT INTO "TicketNote" (id, "ticketId", body, source)
  SELECT gen_random_uuid(), id, $6, $7::"TicketSource" FROM existing),
reused AS (
  UPDATE "Ticket" ticket SET status = CASE WHEN existing.status = 'resolved' THEN 'open'::"TicketStatus" ELSE ticket.status END, "updatedAt" = now()
    FROM existing WHERE ticket.id = existing.id
  RETURNING ticket.id, ticket.status::text AS status, existing.status = 'resolved' AS reopened),
created AS (
  INSERT INTO "Ticket" (id, "customerId", identity, "journeyId", category, summary, source, "dedupeKey", "updatedAt")
  SELECT gen_random_uuid(), $2, $3, $4, $5, $6, $7::"TicketSource", $1, now() WHERE NOT EXISTS (SELECT 1 FROM existing)
  RETURNING id, status::text AS status, false AS reopened)
SELECT id, status, reopened, false AS created FROM reused UNION ALL SELECT id, status, reopened, true FROM created`;

export async function openOrReuseTicket(db: Database, request: TicketRequest): Promise<TicketOutcome> {
  return db.transaction(async (tx) => {
    // The customer's current journey: the episode their question most likely belongs to.
    const [journey] = request.customerId
      ? await tx.sql<{ id: string }>(`SELECT id FROM "Journey" WHERE "customerId" = $1 ORDER BY "startedAt" DESC LIMIT 1`, [request.customerId])
      : [];
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
    ]);
    if (!row) throw new Error("ticket was neither found nor created");
    return { ticketId: row.id, status: row.status, created: row.created, reopened: row.reopened, journeyId };
  });
}

export interface SystemTicket {
  journeyId: string;
  category: TicketCategory;
  summary: string;
}

/**
 * Tickets the system opens (an unpaid grace window ended), inside the caller's transaction:
 * one per customer, journey and category; one that exists is kept as it is.
 */
export async function openSystemTickets(tx: Session, customerId: string, tickets: SystemTicket[]): Promise<void> {
  if (tickets.length === 0) return;
  const rows = tickets.map((ticket) => ({ ...ticket, dedupeKey: ticketDedupeKey(customerId, ticket.journeyId, ticket.category) }));
  await tx.sql(
    `INSERT INTO "Ticket" (id, "customerId", identity, "journeyId", category, source, summary, "dedupeKey", "updatedAt")
     SELECT gen_random_uuid(), $1, customer.email, t."journeyId", t.category, 'system', t.summary, t."dedupeKey", now()
       FROM jsonb_to_recordset($2::jsonb) AS t("journeyId" text, category text, summary text, "dedupeKey" text), "Customer" customer
      WHERE customer.id = $1
     ON CONFLICT ("dedupeKey") DO NOTHING
     RETURNING id`,
    [customerId, JSON.stringify(rows)],
  );
}
