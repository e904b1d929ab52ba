import Link from "next/link";
import { listEvents, type EventFilter } from "@/lib/admin/events";
import { ActionForm } from "../action-form";
import { StatusBadge } from "../badges";
import { consolePage } from "../console-page";
import { when } from "../format";
import { oneOf, text, type SearchParams } from "../params";

export const dynamic = "force-dynamic";
export const metadata = { title: "Events" };

const PAGE_SIZE = 50;
const PROVIDERS = ["stripe", "kit"] as const;
const OUTCOMES = ["pending", "applied", "ignored", "failed"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
      <form className="filters panel" method="get" action="/admin/events" aria-label="Filter the events">
        <div className="field">
          <label htmlFor="events-email">Customer email</label>
          <input id="events-email" name="email" type="email" defaultValue={filter.email ?? ""} maxLength={320} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="events-type">Type (or its start: invoice.)</label>
          <input id="events-type" name="type" type="text" defaultValue={filter.type ?? ""} maxLength={100} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="events-provider">Provider</label>
          <select id="events-provider" name="provider" defaultValue={filter.provider ?? ""}>
            <option value="">Stripe or Kit</option>
            <option value="stripe">Stripe</option>
            <option value="kit">Kit</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="events-outcome">Outcome</label>
          <select id="events-outcome" name="outcome" defaultValue={filter.outcome ?? ""}>
            <option value="">Any</option>
            {OUTCOMES.map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcome}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
        <Link href="/admin/events">Clear</Link>
      </form>

      {events.length === 0 ? (
        <p className="empty">No event matches.</p>
      ) : (
        <table className="data-table stack">
          <caption>
            {events.length} {events.length === 1 ? "event" : "events"}
            {filter.before ? ", older page" : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event</th>
              <th scope="col">Customer</th>
              <th scope="col">Outcome</th>
              <th scope="col">Replay</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td data-label="Received">{when(event.receivedAt)}</td>
                <td data-label="Event">
                  <span>
                    {event.provider} <span className="mono">{event.type}</span>
                    <br />
                    <span className="hint mono">{event.eventId}</span>
                  </span>
                </td>
                <td data-label="Customer">{event.customer ? <Link href={`/admin/customers/${event.customer.id}`}>{event.customer.email}</Link> : <span className="empty">not linked yet</span>}</td>
                <td data-label="Outcome">
                  <span>
                    <StatusBadge status={event.outcome} />
                    {event.error && <span className="action-result error"> {event.error}</span>}
                  </span>
                </td>
                <td data-label="Replay">
                  <details>
                    <summary>Replay</summary>
                    <ActionForm url={`/api/admin/events/${event.id}/replay`} submitLabel="Replay event" done="Replay queued: the worker applies it again.">
                      <div className="field">
                        <label htmlFor={`replay-${event.id}`}>Reason</label>
                        <input id={`replay-${event.id}`} name="reason" type="text" required minLength={3} maxLength={500} autoComplete="off" />
                      </div>
                    </ActionForm>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events.length === PAGE_SIZE && last && (
        <p>
          <Link href={`/admin/events?${query({ before: last.id })}`}>Older events →</Link>
        </p>
      )}
    </>
  );
}
