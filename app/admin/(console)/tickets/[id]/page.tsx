import Link from "next/link";
import { notFound } from "next/navigation";
import { agentLabel, agentOf, isHeldNotice, type ChatMessage } from "@/lib/chat/messages";
import { getTicket } from "@/lib/admin/tickets-api";
import type { TicketNoteKind } from "@/lib/support/actions";
import { ActionForm } from "../../action-form";
import { StatusBadge } from "../../badges";
import { consolePage } from "../../console-page";
import { age, when } from "../../format";
import { UUID } from "../../params";

export const dynamic = "force-dynamic";
export const metadata = { title: "Ticket" };

const NOTE_LABEL: Record<TicketNoteKind, string> = {
  ask: "Asked again",
  internal: "Internal note",
  reply: "Reply to the customer",
  resolution: "Resolution",
  customer_message: "Customer wrote (chat held)",
};

function speaker(message: ChatMessage): { who: string; tone: string } {
  if (message.role === "user") return { who: "Customer", tone: "user" };
  if (isHeldNotice(message)) return { who: "Notice to the customer", tone: "internal" };
  const agent = agentOf(message);
  return agent ? { who: agentLabel(agent), tone: "agent" } : { who: "Bot", tone: "bot" };
}

export default async function TicketPage({ params }: { params: Promise<{ id: string }> }) {
  const { runtime, admin } = await consolePage();
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const now = new Date();
  const ticket = await getTicket(runtime.db, id, now);
  if (!ticket) notFound();
  const resolved = ticket.status === "resolved";
  const mine = ticket.assignee?.id === admin.adminId;
  const base = `/api/admin/tickets/${ticket.id}`;

  return (
    <>
      <p>
        <Link href="/admin">← Queue</Link>
      </p>
      <h1>
        Ticket <span className="mono">{ticket.reference}</span> <StatusBadge status={ticket.status} />{" "}
        {ticket.held && <span className="badge held">held by a person</span>}
      </h1>
      <p className="lede">{ticket.summary}</p>

      <div className="two-col">
        <div>
          <section className="panel" aria-labelledby="details-heading">
            <h2 id="details-heading">Details</h2>
            <dl className="facts">
              <dt>Customer</dt>
              <dd>
                {ticket.customer ? (
                  <Link href={`/admin/customers/${ticket.customer.id}`}>
                    {ticket.customer.name ? `${ticket.customer.name} (${ticket.customer.email})` : ticket.customer.email}
                  </Link>
                ) : (
                  <>
                    {ticket.identity} <span className="badge warn">no customer record</span>
                  </>
                )}
              </dd>
              <dt>Category</dt>
              <dd>{ticket.category}</dd>
              <dt>Opened by</dt>
              <dd>{ticket.source === "chat" ? "the chat (the customer asked for a person)" : "the system"}</dd>
              <dt>Journey</dt>
              <dd>{ticket.journey ? <>{ticket.journey.kind.replace("_", " ")} <span className="mono">{ticket.journey.key}</span></> : "—"}</dd>
              <dt>Asks</dt>
              <dd>{ticket.asks === 1 ? "asked once" : `asked ${ticket.asks} times (repeats folded into this ticket)`}</dd>
              <dt>Assignee</dt>
              <dd>{ticket.assignee ? (mine ? `you (${ticket.assignee.name})` : ticket.assignee.name) : "unassigned"}</dd>
              <dt>Chat</dt>
              <dd>
                {ticket.conversationId ? (ticket.held ? "held: the bot is not answering, the customer sees a person is on it" : "the bot answers") : "no chat (replies stay on the ticket)"}
              </dd>
              <dt>Opened</dt>
              <dd>
                {when(ticket.createdAt)} ({age(ticket.createdAt, now)} ago)
              </dd>
              {ticket.resolvedAt && (
                <>
                  <dt>Resolved</dt>
                  <dd>{when(ticket.resolvedAt)}</dd>
                </>
              )}
            </dl>
          </section>

          <section aria-labelledby="conversation-heading">
            <h2 id="conversation-heading">Conversation</h2>
            {ticket.conversation && ticket.conversation.messages.length > 0 ? (
              <ol className="thread">
                {ticket.conversation.messages.map((message) => {
                  const { who, tone } = speaker(message);
                  const texts = message.parts.flatMap((part) => (part.type === "text" ? [part.text] : []));
                  const tools = message.parts.flatMap((part) => (part.type.startsWith("tool-") ? [part.type.slice(5)] : []));
                  return (
                    <li key={message.id} className={tone}>
                      <span className="from">{who}</span>
                      {tools.length > 0 && <p className="mono">used {tools.join(", ")}</p>}
                      {texts.map((text, index) => (
                        <p key={index}>{text}</p>
                      ))}
                    </li>
                  );
                })}
              </ol>
            ) : (
              <p className="empty">{ticket.conversationId ? "No messages yet." : "This ticket did not come from a chat."}</p>
            )}
          </section>

          <section aria-labelledby="notes-heading">
            <h2 id="notes-heading">Notes</h2>
            {ticket.noteList.length === 0 ? (
              <p className="empty">No notes yet.</p>
            ) : (
              <ol className="thread">
                {ticket.noteList.map((note) => (
                  <li key={note.id} className={note.kind}>
                    <span className="from">
                      {NOTE_LABEL[note.kind]} · {note.author ?? "unknown"} · {when(note.createdAt)}
                    </span>
                    <p>{note.body}</p>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>

        <section className="panel" aria-labelledby="actions-heading">
          <h2 id="actions-heading">Actions</h2>
          <div className="action-list">
            {!resolved && !mine && (
              <ActionForm url={`${base}/assign`} title="Take it" submitLabel="Assign to me" done="The ticket is yours; the customer's chat is held.">
                <p className="hint">You hold the customer&apos;s chat: the bot stops answering them.</p>
              </ActionForm>
            )}
            {!resolved && (
              <ActionForm url={`${base}/reply`} title="Reply to the customer" submitLabel="Send reply" done="Reply sent.">
                <div className="field">
                  <label htmlFor="reply-text">Message</label>
                  <textarea id="reply-text" name="text" required maxLength={2000} />
                </div>
                {!ticket.conversationId && <p className="hint">This ticket came from no chat: the reply stays on the ticket.</p>}
              </ActionForm>
            )}
            <ActionForm url={`${base}/note`} title="Add an internal note" submitLabel="Add note" done="Note added." tone="secondary">
              <div className="field">
                <label htmlFor="note-text">Note (never shown to the customer)</label>
                <textarea id="note-text" name="text" required maxLength={5000} />
              </div>
            </ActionForm>
            {!resolved && (
              <ActionForm url={`${base}/resolve`} title="Resolve" submitLabel="Resolve ticket" done="Resolved; the chat is back with the bot.">
                <div className="field">
                  <label htmlFor="resolve-note">Resolution note</label>
                  <textarea id="resolve-note" name="note" required minLength={3} maxLength={5000} />
                </div>
              </ActionForm>
            )}
            {resolved && <ActionForm url={`${base}/reopen`} title="Reopen" submitLabel="Reopen ticket" done="Reopened." />}
            {ticket.held && (
              <ActionForm url={`${base}/release`} title="Release to the bot" submitLabel="Release chat" done="Released: the bot answers the customer again." tone="secondary" />
            )}
          </div>
        </section>
      </div>
    </>
  );
}
