import Link from "next/link";
import { listEvents, type EventFilter, type EventLogEntry } from "@/lib/admin/events";
import { StatusBadge } from "../badges";
import { consolePage } from "../console-page";
import { FilterForm, ReasonAction, SelectField, valueOptions } from "../fields";
import { when } from "../format";
import { oneOf, text, UUID, type SearchParams } from "../params";
import { StackedTable, type Column } from "../stacked-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Events" };

const PAGE_SIZE = 50;
const PROVIDERS = ["stripe", "kit"] as const;
const OUTCOMES = ["pending", "applied", "ignored", "failed"] as const;

const PROVIDER_OPTIONS = [
  { value: "", label: "Stripe or Kit" },
  { value: "stripe", label: "Stripe" },
  { value: "kit", label: "Kit" },
];
const OUTCOME_OPTIONS = [{ value: "", label: "Any" }, ...valueOptions(OUTCOMES)];

const EVENT_COLUMNS: Array<Column<EventLogEntry>> = [
  { label: "Received", cell: (event) => when(event.receivedAt) },
  {
    label: "Event",
    cell: (event) => (
      <span>
        {event.provider} <span className="mono">{event.type}</span>
        <br />
        <span className="hint mono">{event.eventId}</span>
      </span>
    ),
  },
  {
    label: "Customer",
    cell: (event) => (event.customer ? <Link href={`/admin/customers/${event.customer.id}`}>{event.customer.email}</Link> : <span className="empty">not linked yet</span>),
  },
  {
    label: "Outcome",
    cell: (event) => (
      <span>
        <StatusBadge status={event.outcome} />
        {event.error && <span className="action-result error"> {event.error}</span>}
      </span>
    ),
  },
  {
    label: "Replay",
    cell: (event) => (
      <ReasonAction
        summary="Replay"
        reasonId={`replay-${event.id}`}
        url={`/api/admin/events/${event.id}/replay`}
        submitLabel="Replay event"
        done="Replay queued: the worker applies it again."
      />
    ),
  },
];

export default async function EventsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { runtime } = await consolePage();
  const params = await searchParams;
  const email = text(params.email);
  const before = text(params.before, 36);
  const filter: EventFilter = {
    email: email?.includes("@") ? email : undefined,
    type: text(params.type, 100),
    provider: oneOf(params.provider, PROVIDERS),
    outcome: oneOf(params.outcome, OUTCOMES),
    before: before && UUID.test(before) ? before : undefined,
    limit: PAGE_SIZE,
  };
  const events = await listEvents(runtime.db, filter);
  const query = (extra: Record<string, string>) =>
    new URLSearchParams(
      Object.entries({ email: filter.email, type: filter.type, provider: filter.provider, outcome: filter.outcome, ...extra }).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      ),
    ).toString();
  const last = events.at(-1);

  return (
    <>
      <h1>Webhook events</h1>
      <p className="lede">Every Stripe and Kit event the ledger recorded, newest first. Replaying one applies the stored event again through the same path as a delivery.</p>
      <FilterForm action="/admin/events" label="Filter the events" after={<Link href="/admin/events">Clear</Link>}>
        <div className="field">
          <label htmlFor="events-email">Customer email</label>
          <input id="events-email" name="email" type="email" defaultValue={filter.email ?? ""} maxLength={320} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="events-type">Type (or its start: invoice.)</label>
          <input id="events-type" name="type" type="text" defaultValue={filter.type ?? ""} maxLength={100} autoComplete="off" />
        </div>
        <SelectField id="events-provider" label="Provider" name="provider" defaultValue={filter.provider ?? ""} options={PROVIDER_OPTIONS} />
        <SelectField id="events-outcome" label="Outcome" name="outcome" defaultValue={filter.outcome ?? ""} options={OUTCOME_OPTIONS} />
      </FilterForm>

      {events.length === 0 ? (
        <p className="empty">No event matches.</p>
      ) : (
        <StackedTable
          caption={
            <>
              {events.length} {events.length === 1 ? "event" : "events"}
              {filter.before ? ", older page" : ""}
            </>
          }
          columns={EVENT_COLUMNS}
          rows={events}
          rowKey={(event) => event.id}
        />
      )}
      {events.length === PAGE_SIZE && last && (
        <p>
          <Link href={`/admin/events?${query({ before: last.id })}`}>Older events →</Link>
        </p>
      )}
    </>
  );
}
