import type { Session } from "../db";
import type { TicketStatus } from "./tickets";

// What a person does with a ticket, each inside the caller's transaction (which writes the audit
// row and, for a reply, the chat message, so all of it commits or none does). The ticket row is
// locked first: two people acting on one ticket at once are applied one after the other, each
// checked against the state the other left.
//
// Holding: taking a ticket or replying to it holds its chat (heldAt), so the bot stops answering
// the customer; resolving or releasing hands the chat back. A ticket with no conversation has
// no chat to hold, so it is never held.

export type TicketAction =
  | { kind: "assign"; adminId: string }
  | { kind: "note"; text: string }
  | { kind: "reply"; text: string }
  | { kind: "resolve"; note: string }
  | { kind: "reopen" }
  | { kind: "release" };

export type TicketNoteKind = "ask" | "internal" | "reply" | "resolution" | "customer_message";

export interface TicketNoteView {
  id: string;
  kind: TicketNoteKind;
  body: string;
  /** "customer", "system", "admin:<email>" or "api-token"; null on notes older than authorship. */
  author: string | null;
  createdAt: Date;
}

/** What an action changes, as its audit row records it (before and after). */
export interface TicketSnapshot {
  status: TicketStatus;
  assigneeId: string | null;
  held: boolean;
}

export type TicketActionOutcome =
  | {
      ok: true;
      ticketId: string;
      customerId: string | null;
      /** Where a reply reaches the customer; null when the ticket came from no chat. */
      conversationId: string | null;
      before: TicketSnapshot;
      after: TicketSnapshot;
      /** The note the action wrote (note, reply, resolve). */
      note: TicketNoteView | null;
    }
  | { ok: false; reason: "not_found" | "conflict" | "invalid"; message: string };

interface LockedTicket {
  id: string;
  customerId: string | null;
  conversationId: string | null;
  source: "chat" | "system";
  status: TicketStatus;
  assigneeId: string | null;
  held: boolean;
}

/** A time column after the action: set to the statement's now(), kept, or cleared. */
type TimeChange = "now" | "keep" | "clear";

interface Next {
  status: TicketStatus;
  assigneeId: string | null;
  heldAt: TimeChange;
  resolvedAt: TimeChange;
}

const NOTE_OF: Partial<Record<TicketAction["kind"], TicketNoteKind>> = { note: "internal", reply: "reply", resolve: "resolution" };

const conflict = (message: string) => ({ ok: false as const, reason: "conflict" as const, message });

/** The ticket after the action, or why the action does not apply to it now. */
async function nextState(tx: Session, ticket: LockedTicket, action: TicketAction): Promise<Next | Exclude<TicketActionOutcome, { ok: true }>> {
  const resolved = ticket.status === "resolved";
  const current: Next = { status: ticket.status, assigneeId: ticket.assigneeId, heldAt: "keep", resolvedAt: "keep" };
  // Taking or replying holds the chat, when there is one.
  const hold: TimeChange = ticket.conversationId ? "now" : "keep";
  switch (action.kind) {
    case "assign": {
      if (resolved) return conflict("the ticket is resolved; reopen it before taking it");
      const [admin] = await tx.sql(`SELECT id FROM "AdminUser" WHERE id = $1`, [action.adminId]);
      if (!admin) return { ok: false, reason: "invalid", message: "no admin with that id" };
      return { ...current, assigneeId: action.adminId, heldAt: hold };
    }
    case "note":
      return current;
    case "reply":
      if (resolved) return conflict("the ticket is resolved; reopen it before replying");
      // Answered: waiting on the customer until they write again.
      return { ...current, status: "pending", heldAt: hold };
    case "resolve":
      if (resolved) return conflict("the ticket is already resolved");
      return { ...current, status: "resolved", heldAt: "clear", resolvedAt: "now" };
    case "reopen":
      if (!resolved) return conflict(`the ticket is ${ticket.status}; only a resolved ticket can be reopened`);
      return { ...current, status: "open", resolvedAt: "clear" };
    case "release":
      if (!ticket.held) return conflict("no one holds this ticket's chat");
      return { ...current, heldAt: "clear" };
  }
}

const timeSql = (column: string, param: string) =>
  `CASE ${param}::text WHEN 'now' THEN now() WHEN 'clear' THEN NULL ELSE ${column} END`;

/** Applies one person's action to a ticket, as `author` (the audit actor's label), inside `tx`. */
export async function applyTicketAction(tx: Session, ticketId: string, action: TicketAction, author: string): Promise<TicketActionOutcome> {
  const [ticket] = await tx.sql<LockedTicket & Record<string, unknown>>(
    `SELECT id, "customerId", "conversationId", source::text AS source, status::text AS status, "assigneeId", "heldAt" IS NOT NULL AS held
       FROM "Ticket" WHERE id = $1 FOR UPDATE`,
    [ticketId],
  );
  if (!ticket) return { ok: false, reason: "not_found", message: "no ticket with that id" };
  const next = await nextState(tx, ticket, action);
  if ("ok" in next) return next;
  const [after] = await tx.sql<{ held: boolean }>(
    `UPDATE "Ticket" SET status = $2::"TicketStatus", "assigneeId" = $3,
            "heldAt" = ${timeSql('"heldAt"', "$4")}, "resolvedAt" = ${timeSql('"resolvedAt"', "$5")}, "updatedAt" = now()
      WHERE id = $1 RETURNING "heldAt" IS NOT NULL AS held`,
    [ticket.id, next.status, next.assigneeId, next.heldAt, next.resolvedAt],
  );
  const noteKind = NOTE_OF[action.kind];
  const body = action.kind === "note" || action.kind === "reply" ? action.text : action.kind === "resolve" ? action.note : null;
  let note: TicketNoteView | null = null;
  if (noteKind && body !== null) {
    // A person's note carries the ticket's channel as its source; its kind and author say what and who.
    [note = null] = await tx.sql<TicketNoteView & Record<string, unknown>>(
      `INSERT INTO "TicketNote" (id, "ticketId", body, source, kind, author)
       VALUES (gen_random_uuid(), $1, $2, $3::"TicketSource", $4::"TicketNoteKind", $5)
       RETURNING id, kind::text AS kind, body, author, "createdAt"`,
      [ticket.id, body, ticket.source, noteKind, author],
    );
  }
  return {
    ok: true,
    ticketId: ticket.id,
    customerId: ticket.customerId,
    conversationId: ticket.conversationId,
    before: { status: ticket.status, assigneeId: ticket.assigneeId, held: ticket.held },
    after: { status: next.status, assigneeId: next.assigneeId, held: after?.held ?? false },
    note,
  };
}
