import Link from "next/link";
import { listQueue, type QueueFilters, type QueueItem } from "@/lib/admin/tickets-api";
import { TICKET_CATEGORIES, TICKET_STATUSES } from "@/lib/support/tickets";
import { consolePage } from "./console-page";
import { duration } from "./format";
import { oneOf, type SearchParams } from "./params";
import { StatusBadge } from "./badges";
import { FilterForm, SelectField, valueOptions } from "./fields";
import { StackedTable, type Column } from "./stacked-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Queue" };

const STATUS_CHOICES = [...TICKET_STATUSES, "all"] as const;
const SOURCES = ["chat", "system"] as const;
const ASSIGNEES = ["me", "unassigned"] as const;

const STATUS_OPTIONS = [
  { value: "", label: "Open and pending" },
  { value: "open", label: "Open" },
  { value: "pending", label: "Pending (answered)" },
  { value: "resolved", label: "Resolved" },
  { value: "all", label: "All" },
];
const CATEGORY_OPTIONS = [{ value: "", label: "Any" }, ...valueOptions(TICKET_CATEGORIES)];
const SOURCE_OPTIONS = [
  { value: "", label: "Chat or system" },
  { value: "chat", label: "Chat" },
  { value: "system", label: "System" },
];
const ASSIGNEE_OPTIONS = [
  { value: "", label: "Anyone" },
  { value: "me", label: "Me" },
  { value: "unassigned", label: "Unassigned" },
];

/** The queue's columns; `viewerAdminId` reads as "you" in the assignee column. */
const queueColumns = (viewerAdminId: string): Array<Column<QueueItem>> => [
  {
    label: "Ticket",
    cell: (ticket) => (
      <span>
        <Link href={`/admin/tickets/${ticket.id}`} className="mono">
          {ticket.reference}
        </Link>{" "}
        <StatusBadge status={ticket.status} /> {ticket.held && <span className="badge held">held by a person</span>}
      </span>
    ),
  },
  { label: "Age", cell: (ticket) => duration(ticket.ageSeconds * 1000) },
  {
    label: "Customer",
    cell: (ticket) =>
      ticket.customer ? (
        <Link href={`/admin/customers/${ticket.customer.id}`}>{ticket.customer.name ?? ticket.customer.email}</Link>
      ) : (
        <span>
          {ticket.identity} <span className="badge warn">no record</span>
        </span>
      ),
  },
  {
    label: "Category",
    cell: (ticket) => (
      <span>
        {ticket.category} <span className="badge">{ticket.source}</span>
      </span>
    ),
  },
  {
    label: "Journey",
    cell: (ticket) =>
      ticket.journey ? (
        <span>
          {ticket.journey.kind.replace("_", " ")} <span className="mono">{ticket.journey.key}</span>
        </span>
      ) : (
        "—"
      ),
  },
  { label: "Asks", num: true, cell: (ticket) => ticket.asks },
  {
    label: "Assignee",
    cell: (ticket) => (ticket.assignee ? (ticket.assignee.id === viewerAdminId ? "you" : ticket.assignee.name) : <span className="empty">unassigned</span>),
  },
  { label: "Summary", cell: (ticket) => ticket.summary },
];

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
      <FilterForm action="/admin" label="Filter the queue" after={filtered && <Link href="/admin">Clear filters</Link>}>
        <SelectField id="filter-status" label="Status" name="status" defaultValue={filters.status ?? ""} options={STATUS_OPTIONS} />
        <SelectField id="filter-category" label="Category" name="category" defaultValue={filters.category ?? ""} options={CATEGORY_OPTIONS} />
        <SelectField id="filter-source" label="Source" name="source" defaultValue={filters.source ?? ""} options={SOURCE_OPTIONS} />
        <SelectField id="filter-assignee" label="Assignee" name="assignee" defaultValue={filters.assignee ?? ""} options={ASSIGNEE_OPTIONS} />
      </FilterForm>

      {tickets.length === 0 ? (
        <p className="empty">{filtered ? "No ticket matches these filters." : "The queue is empty: no open ticket."}</p>
      ) : (
        <StackedTable
          caption={
            <>
              {tickets.length} {tickets.length === 1 ? "ticket" : "tickets"}, oldest first
            </>
          }
          columns={queueColumns(admin.adminId)}
          rows={tickets}
          rowKey={(ticket) => ticket.id}
        />
      )}
    </>
  );
}
