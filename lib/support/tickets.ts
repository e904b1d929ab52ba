import type { Database } from "../db";
import { ticketDedupeKey } from "../lifecycle/engine";

// The escalation queue. One ticket per customer journey and category: asking again appends a
// note to the ticket that exists (and reopens it if it was resolved) instead of opening another.

export const TICKET_CATEGORIES = ["billing", "access", "refund", "cancellation", "other"] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];

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
  status: "open" | "pending" | "resolved";
  created: boolean;
  reopened: boolean;
  journeyId: string | null;
}

export async function openOrReuseTicket(db: Database, request: TicketRequest): Promise<TicketOutcome> {
  return db.prisma.$transaction(async (tx) => {
    // The customer's current journey: the episode their question most likely belongs to.
    const journey = request.customerId
      ? await tx.journey.findFirst({ where: { customerId: request.customerId }, orderBy: { startedAt: "desc" }, select: { id: true } })
      : null;
    const journeyId = journey?.id ?? null;
    const dedupeKey = ticketDedupeKey(request.customerId ?? `identity:${request.identity}`, journeyId, request.category);
    // Serialises two asks racing for the same ticket.
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, `ticket:${dedupeKey}`);
    const existing = await tx.ticket.findUnique({ where: { dedupeKey } });
    if (existing) {
      const reopened = existing.status === "resolved";
      await tx.ticketNote.create({ data: { ticketId: existing.id, body: request.summary, source: request.source } });
      const updated = await tx.ticket.update({
        where: { id: existing.id },
        data: reopened ? { status: "open" } : { updatedAt: new Date() },
      });
      return { ticketId: updated.id, status: updated.status, created: false, reopened, journeyId };
    }
    const ticket = await tx.ticket.create({
      data: {
        customerId: request.customerId,
        identity: request.identity,
        journeyId,
        category: request.category,
        summary: request.summary,
        source: request.source,
        dedupeKey,
      },
    });
    return { ticketId: ticket.id, status: ticket.status, created: true, reopened: false, journeyId };
  });
}
