import Link from "next/link";
import { listQueue, type QueueFilters } from "@/lib/admin/tickets-api";
import { TICKET_CATEGORIES, TICKET_STATUSES } from "@/lib/support/tickets";
import { consolePage } from "./console-page";
import { duration } from "./format";
import { oneOf, type SearchParams } from "./params";
import { StatusBadge } from "./badges";

export const dynamic = "force-dynamic";
export const metadata = { title: "Queue" };

const STATUS_CHOICES = [...TICKET_STATUSES, "all"] as const;
const SOURCES = ["chat", "system"] as const;
const ASSIGNEES = ["me", "unassigned"] as const;

export default async function QueuePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { runtime, admin } = await consolePage();
  const params = await searchParams;
  const filters: QueueFilters = {
    status: oneOf(params.status, STATUS_CHOICES),
    category: oneOf(params.category, TICKET_CATEGORIES),
    source: oneOf(params.source, SOURCES),
    assignee: oneOf(params.assignee, ASSIGNEES),
    viewerAdminId: admin.adminId,
  };
  const tickets = await listQueue(runtime.db, filters, new Date());
  const filtered = Boolean(filters.status || filters.category || filters.source || filters.assignee);

  return (
    <>
      <h1>Escalation queue</h1>
      <p className="lede">Tickets the bot and the system opened, oldest first. Take one to hold the customer&apos;s chat: the bot stops answering until you resolve or release it.</p>
      <form className="filters panel" method="get" action="/admin" aria-label="Filter the queue">
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" name="status" defaultValue={filters.status ?? ""}>
            <option value="">Open and pending</option>
            <option value="open">Open</option>
            <option value="pending">Pending (answered)</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-category">Category</label>
          <select id="filter-category" name="category" defaultValue={filters.category ?? ""}>
            <option value="">Any</option>
            {TICKET_CATEGORIES.map((category) => (
              <option key={category} value={category}>
                {category}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-source">Source</label>
          <select id="filter-source" name="source" defaultValue={filters.source ?? ""}>
            <option value="">Chat or system</option>
            <option value="chat">Chat</option>
            <option value="system">System</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-assignee">Assignee</label>
          <select id="filter-assignee" name="assignee" defaultValue={filters.assignee ?? ""}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="unassigned">Unassigned</option>
          </select>
        </div>
        <button type="submit">Filter</button>
        {filtered && <Link href="/admin">Clear filters</Link>}
      </form>

      {tickets.length === 0 ? (
        <p className="empty">{filtered ? "No ticket matches these filters." : "The queue is empty: no open ticket."}</p>
      ) : (
        <table className="data-table stack">
          <caption>
            {tickets.length} {tickets.length === 1 ? "ticket" : "tickets"}, oldest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Age</th>
              <th scope="col">Customer</th>
              <th scope="col">Category</th>
              <th scope="col">Journey</th>
              <th scope="col" className="num">
                Asks
              </th>
              <th scope="col">Assignee</th>
              <th scope="col">Summary</th>
            </tr>
          </thead>
          <tbody>
            {tickets.map((ticket) => (
              <tr key={ticket.id}>
                <td data-label="Ticket">
                  <span>
                    <Link href={`/admin/tickets/${ticket.id}`} className="mono">
                      {ticket.reference}
                    </Link>{" "}
                    <StatusBadge status={ticket.status} /> {ticket.held && <span className="badge held">held by a person</span>}
                  </span>
                </td>
                <td data-label="Age">{duration(ticket.ageSeconds * 1000)}</td>
                <td data-label="Customer">
                  {ticket.customer ? (
                    <Link href={`/admin/customers/${ticket.customer.id}`}>{ticket.customer.name ?? ticket.customer.email}</Link>
                  ) : (
                    <span>
                      {ticket.identity} <span className="badge warn">no record</span>
                    </span>
                  )}
                </td>
                <td data-label="Category">
                  <span>
                    {ticket.category} <span className="badge">{ticket.source}</span>
                  </span>
                </td>
                <td data-label="Journey">{ticket.journey ? <span>{ticket.journey.kind.replace("_", " ")} <span className="mono">{ticket.journey.key}</span></span> : "—"}</td>
                <td data-label="Asks" className="num">
                  {ticket.asks}
                </td>
                <td data-label="Assignee">{ticket.assignee ? (ticket.assignee.id === admin.adminId ? "you" : ticket.assignee.name) : <span className="empty">unassigned</span>}</td>
                <td data-label="Summary">{ticket.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
