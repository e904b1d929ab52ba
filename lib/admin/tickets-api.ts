import { z } from "zod";
import type { Database, Session } from "../db";
import { postAgentMessage, readConversationMessages, TEAM_AGENT, type ChatMessage } from "../chat/messages";
import { ticketReference } from "../record/entitlement-view";
import { applyTicketAction, type TicketAction, type TicketNoteView } from "../support/actions";
import { TICKET_CATEGORIES, TICKET_STATUSES, type TicketCategory, type TicketSource, type TicketStatus } from "../support/tickets";
import { json, rejection } from "../webhooks/http";
import { actorLabel, type Actor } from "./actor";
import { writeAudit, type AuditRow } from "./audit";
import { authorizeAdmin, type GuardDeps } from "./guard";
import { authorizedQuery, check, firstIssue, readJson } from "./http";

// The escalation queue for people: the queue and one ticket as the console reads them, the
// actions on a ticket (each one transaction: the ticket's change through lib/support, the
// reply's chat message through lib/chat, and the audit row), and the admin JSON routes over
// them (GET /api/admin/tickets, GET /api/admin/tickets/{id}, POST .../{id}/{action}).
//
// Here rather than in lib/support because it joins three rooms: lib/record (which already
// imports lib/support, for the system's tickets) gives the ticket reference, lib/chat the
// conversation, lib/admin the actor and the audit; lib/support stays the tickets' only writer.

export interface QueueFilters {
  /** Default: open and pending; "all" includes resolved tickets. */
  status?: TicketStatus | "all";
  category?: TicketCategory;
  source?: TicketSource;
  /** "me" is the viewing admin (`viewerAdminId`); "unassigned"; or an admin's id. */
  assignee?: string;
  /** The requesting admin's id; null for the admin token, for whom "me" matches no ticket. */
  viewerAdminId?: string | null;
  /** At most this many tickets (default 100). */
  limit?: number;
}

export interface QueueItem {
  id: string;
  /** What the customer was told: "T-1A2B3C4D". */
  reference: string;
  status: TicketStatus;
  category: string;
  source: TicketSource;
  summary: string;
  /** The verified identity that asked (shown when there is no customer record). */
  identity: string;
  ageSeconds: number;
  customer: { id: string; email: string; name: string | null } | null;
  journey: { id: string; kind: string; key: string } | null;
  /** How many times it was asked for: the opening ask and each deduplicated repeat. */
  asks: number;
  /** Every note on the ticket, of any kind. */
  notes: number;
  assignee: { id: string; name: string; email: string } | null;
  /** A person holds the customer's chat: the bot does not answer. */
  held: boolean;
  conversationId: string | null;
  customerId: string | null;
  journeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
}

export interface TicketDetail extends QueueItem {
  /** Oldest first. */
  noteList: TicketNoteView[];
  conversation: { id: string; messages: ChatMessage[] } | null;
}

type QueueRow = Omit<QueueItem, "reference" | "ageSeconds"> & Record<string, unknown>;

// Filters: statuses $1, category $2, source $3, assignee mode $4 ('any' | 'unassigned' | 'admin')
// with the admin's id $5, one ticket's id $6; oldest first, at most $7.
const QUEUE_SQL = `
SELECT ticket.id, ticket.status::text AS status, ticket.category, ticket.source::text AS source, ticket.summary, ticket.identity,
       CASE WHEN customer.id IS NULL THEN NULL ELSE json_build_object('id', customer.id, 'email', customer.email, 'name', customer.name) END AS customer,
       CASE WHEN journey.id IS NULL THEN NULL ELSE json_build_object('id', journey.id, 'kind', journey.kind, 'key', journey.key) END AS journey,
       noted.asks + 1 AS asks, noted.notes,
       CASE WHEN admin.id IS NULL THEN NULL ELSE json_build_object('id', admin.id, 'name', admin.name, 'email', admin.email) END AS assignee,
       ticket."heldAt" IS NOT NULL AS held, ticket."conversationId", ticket."customerId", ticket."journeyId",
       ticket."createdAt", ticket."updatedAt", ticket."resolvedAt"
  FROM "Ticket" ticket
  LEFT JOIN "Customer" customer ON customer.id = ticket."customerId"
  LEFT JOIN "Journey" journey ON journey.id = ticket."journeyId"
  LEFT JOIN "AdminUser" admin ON admin.id = ticket."assigneeId"
  CROSS JOIN LATERAL (
    SELECT (count(*) FILTER (WHERE kind = 'ask'))::int AS asks, count(*)::int AS notes FROM "TicketNote" WHERE "ticketId" = ticket.id) noted
 WHERE ticket.status = ANY($1::text[]::"TicketStatus"[])
   AND ($2::text IS NULL OR ticket.category = $2)
   AND ($3::text IS NULL OR ticket.source = $3::"TicketSource")
   AND CASE $4::text WHEN 'unassigned' THEN ticket."assigneeId" IS NULL WHEN 'admin' THEN ticket."assigneeId" = $5::text ELSE true END
   AND ($6::text IS NULL OR ticket.id = $6)
 ORDER BY ticket."createdAt", ticket.id
 LIMIT $7::int`;

const item = (row: QueueRow, now: Date): QueueItem => ({
  ...row,
  reference: ticketReference(row.id),
  ageSeconds: Math.max(0, Math.floor((now.getTime() - row.createdAt.getTime()) / 1000)),
});

/** The queue: tickets oldest first (open and pending unless filtered otherwise), ages as of `now`. */
export async function listQueue(db: Session, filters: QueueFilters, now: Date): Promise<QueueItem[]> {
  const statuses = filters.status === "all" ? [...TICKET_STATUSES] : filters.status ? [filters.status] : ["open", "pending"];
  const { assignee } = filters;
  const mode = assignee === undefined ? "any" : assignee === "unassigned" ? "unassigned" : "admin";
  const adminId = assignee === "me" ? (filters.viewerAdminId ?? null) : mode === "admin" ? (assignee ?? null) : null;
  // The token is no one: "me" matches no ticket for it.
  if (mode === "admin" && adminId === null) return [];
  const rows = await db.sql<QueueRow>(QUEUE_SQL, [statuses, filters.category ?? null, filters.source ?? null, mode, adminId, null, filters.limit ?? 100]);
  return rows.map((row) => item(row, now));
}

/** One ticket with its notes (oldest first) and its conversation, or null when there is no such ticket. */
export async function getTicket(db: Session, id: string, now: Date = new Date()): Promise<TicketDetail | null> {
  const [row] = await db.sql<QueueRow>(QUEUE_SQL, [[...TICKET_STATUSES], null, null, "any", null, id, 1]);
  if (!row) return null;
  const [noteList, messages] = await Promise.all([
    db.sql<TicketNoteView & Record<string, unknown>>(
      `SELECT id, kind::text AS kind, body, author, "createdAt" FROM "TicketNote" WHERE "ticketId" = $1 ORDER BY "createdAt", id`,
      [id],
    ),
    row.conversationId ? readConversationMessages(db, row.conversationId) : Promise.resolve(null),
  ]);
  return {
    ...item(row, now),
    noteList,
    conversation: row.conversationId && messages ? { id: row.conversationId, messages } : null,
  };
}

/** The actions, as their routes name them (POST /api/admin/tickets/{id}/{action}). */
export type TicketActionName = TicketAction["kind"];

export type TicketActionResult =
  | {
      ok: true;
      ticket: QueueItem;
      /** The note the action wrote (note, reply, resolve), else null. */
      note: TicketNoteView | null;
      audit: AuditRow;
      /** For a reply: whether it reached the customer's chat (false: the ticket has no conversation). */
      delivered: boolean | null;
    }
  | { ok: false; status: 400 | 404 | 409; message: string };

const FAILURE_STATUS = { not_found: 404, conflict: 409, invalid: 400 } as const;

/**
 * One person's action on a ticket, by the authenticated `actor`: the ticket's change, its note,
 * for a reply the message in the customer's chat, and the audit row ("ticket.<action>", before
 * and after: status, assignee, held), in one transaction. A refused action writes nothing.
 */
export async function performTicketAction(db: Database, ticketId: string, action: TicketAction, actor: Actor): Promise<TicketActionResult> {
  const outcome = await db.transaction(async (tx) => {
    const change = await applyTicketAction(tx, ticketId, action, actorLabel(actor));
    if (!change.ok) return change;
    let messageId: string | null = null;
    if (action.kind === "reply" && change.conversationId) {
      const agent = actor.kind === "admin" ? actor.name : TEAM_AGENT;
      ({ id: messageId } = await postAgentMessage(tx, { conversationId: change.conversationId, text: action.text, agent }));
    }
    const audit = await writeAudit(tx, {
      actor,
      action: `ticket.${action.kind}`,
      // A resolution says why the ticket is closed.
      reason: action.kind === "resolve" ? action.note : null,
      customerId: change.customerId,
      before: change.before,
      after: { ...change.after, ...(change.note ? { noteId: change.note.id } : {}), ...(messageId ? { messageId } : {}) },
      correlationId: change.ticketId,
    });
    return { ...change, audit, delivered: action.kind === "reply" ? messageId !== null : null };
  });
  if (!outcome.ok) return { ok: false, status: FAILURE_STATUS[outcome.reason], message: outcome.message };
  const [row] = await db.sql<QueueRow>(QUEUE_SQL, [[...TICKET_STATUSES], null, null, "any", null, ticketId, 1]);
  return { ok: true, ticket: item(row!, new Date()), note: outcome.note, audit: outcome.audit, delivered: outcome.delivered };
}

// ---- the routes ----

const ticketId = z.uuid({ message: "the ticket id must be a UUID" });

const queueQuery = z
  .object({
    status: z.enum([...TICKET_STATUSES, "all"]).optional(),
    category: z.enum(TICKET_CATEGORIES).optional(),
    source: z.enum(["chat", "system"]).optional(),
    assignee: z.union([z.literal("me"), z.literal("unassigned"), z.uuid({ message: 'assignee is "me", "unassigned" or an admin id' })]).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const text = (max: number, what: string) =>
  z
    .string({ message: `${what} is required` })
    .trim()
    .min(1, { message: `${what} is required` })
    .max(max, { message: `${what} is at most ${max} characters` });

const assignBody = z.object({ adminId: z.uuid({ message: "adminId must be an admin's id" }).optional() }).strict();
const noteBody = z.object({ text: text(5_000, "text") }).strict();
// The chat's own limit on a message.
const replyBody = z.object({ text: text(2_000, "text") }).strict();
const resolveBody = z.object({ note: text(5_000, "note: the resolution").min(3, { message: "note: say how it was resolved (3 characters or more)" }) }).strict();
const emptyBody = z.object({}).strict();

type ParsedAction = { ok: true; action: TicketAction } | { ok: false; message: string };

function parseWith<T>(schema: z.ZodType<T>, body: unknown, build: (data: T) => TicketAction | string): ParsedAction {
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { ok: false, message: firstIssue(parsed.error, "invalid body") };
  const action = build(parsed.data);
  return typeof action === "string" ? { ok: false, message: action } : { ok: true, action };
}

/**
 * Each action's body, read into the action. `assign` takes the ticket for the signed-in admin;
 * the admin token is no one, so with it the body names the admin (`adminId`), and only then.
 */
const ACTION_BODIES: { [K in TicketActionName]: (body: unknown, actor: Actor) => ParsedAction } = {
  assign: (body, actor) =>
    parseWith(assignBody, body, ({ adminId }) => {
      if (actor.kind === "admin") {
        return adminId === undefined || adminId === actor.adminId
          ? { kind: "assign", adminId: actor.adminId }
          : "a signed-in admin takes a ticket for themselves: leave adminId out";
      }
      return adminId === undefined ? "adminId: the admin token is no one, so name the admin who takes the ticket" : { kind: "assign", adminId };
    }),
  note: (body) => parseWith(noteBody, body, ({ text }) => ({ kind: "note", text })),
  reply: (body) => parseWith(replyBody, body, ({ text }) => ({ kind: "reply", text })),
  resolve: (body) => parseWith(resolveBody, body, ({ note }) => ({ kind: "resolve", note })),
  reopen: (body) => parseWith(emptyBody, body, () => ({ kind: "reopen" })),
  release: (body) => parseWith(emptyBody, body, () => ({ kind: "release" })),
};

/** GET /api/admin/tickets[?status=&category=&source=&assignee=&limit=]: the queue, oldest first. */
export async function handleListTickets(request: Request, deps: GuardDeps): Promise<Response> {
  const query = await authorizedQuery(request, deps, queueQuery);
  if (!query.ok) return query.response;
  const { actor } = query;
  if (query.data.assignee === "me" && actor.kind !== "admin") return rejection(400, 'assignee=me needs a signed-in admin; the admin token is no one');
  const viewerAdminId = actor.kind === "admin" ? actor.adminId : null;
  const tickets = await listQueue(deps.db, { ...query.data, viewerAdminId }, new Date());
  return json(200, { tickets });
}

/** GET /api/admin/tickets/{id}: one ticket with its notes and conversation. */
export async function handleGetTicket(request: Request, deps: GuardDeps, id: string): Promise<Response> {
  const auth = await authorizeAdmin(request, deps);
  if (!auth.ok) return auth.response;
  const parsedId = check(ticketId, id, "ticket id");
  if (!parsedId.ok) return parsedId.response;
  const ticket = await getTicket(deps.db, parsedId.data);
  if (!ticket) return rejection(404, "no ticket with that id");
  return json(200, { ticket });
}

/**
 * POST /api/admin/tickets/{id}/{action}, by the authenticated actor: 200 with the ticket, the
 * note and the audit entry (a reply: whether it reached the chat); 400 bad id or body, 404
 * unknown ticket, 409 when the ticket's state does not allow the action.
 */
export async function handleTicketAction(request: Request, deps: GuardDeps, id: string, name: TicketActionName): Promise<Response> {
  const auth = await authorizeAdmin(request, deps);
  if (!auth.ok) return auth.response;
  const parsedId = check(ticketId, id, "ticket id");
  if (!parsedId.ok) return parsedId.response;
  const body = await readJson(request, { emptyAsObject: true });
  if (!body.ok) return body.response;
  const parsed = ACTION_BODIES[name](body.data, auth.actor);
  if (!parsed.ok) return rejection(400, parsed.message);
  const result = await performTicketAction(deps.db, parsedId.data, parsed.action, auth.actor);
  if (!result.ok) return rejection(result.status, result.message);
  const { ticket, note, audit, delivered } = result;
  return json(200, {
    ticket,
    note,
    audit,
    ...(delivered === null ? {} : { delivered, ...(delivered ? {} : { notice: "The customer was not reachable in chat (the ticket has no conversation): the reply is on the ticket only." }) }),
  });
}
