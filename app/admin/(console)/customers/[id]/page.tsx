import Link from "next/link";
import { notFound } from "next/navigation";
import { getCustomerView, type CustomerView, type TimelineEntry } from "@/lib/admin/customer-view";
import type { Mismatch } from "@/lib/admin/mismatches";
import { readRecordSubject } from "@/lib/record/read";
import { StatusBadge } from "../../badges";
import { consolePage } from "../../console-page";
import { when } from "../../format";
import { UUID } from "../../params";
import { StackedTable, type Column } from "../../stacked-table";
import { CircleLive } from "./circle-live";
import { OverridesPanel } from "./overrides";

export const dynamic = "force-dynamic";
export const metadata = { title: "Customer" };

const MISMATCH_LABEL: Record<Mismatch["kind"], string> = {
  paid_no_access: "Paid, no access",
  access_not_paid: "Access, not paid",
  tag_missing: "Tag missing",
  tag_extra: "Tag extra",
  unsubscribed_tagged: "Unsubscribed, still tagged",
};

function MismatchList({ mismatches }: { mismatches: Mismatch[] }) {
  if (mismatches.length === 0) return null;
  return (
    <ul className="mismatches">
      {mismatches.map((mismatch, index) => (
        <li key={index}>
          <span className="badge bad">Mismatch: {MISMATCH_LABEL[mismatch.kind]}</span> {mismatch.explanation}. <strong>Fix:</strong> {mismatch.fix}.
        </li>
      ))}
    </ul>
  );
}

function Override({ override }: { override: CustomerView["circle"]["groups"][number]["override"] }) {
  if (!override) return null;
  return (
    <span className="badge held" title={`${override.reason} (${override.actor}, ${when(override.at)})`}>
      override: {override.effect === "deny" ? "kept off" : "held on"} by {override.actor}
    </span>
  );
}

function seenInKit(presentInKit: boolean | null): string {
  if (presentInKit === null) return "never seen in Kit";
  return presentInKit ? "seen in Kit" : "seen missing in Kit";
}

function timelineText(entry: TimelineEntry): { what: string; detail: string; status: string | null; error: string | null } {
  switch (entry.type) {
    case "journey_started":
      return { what: `Journey started: ${entry.kind.replace("_", " ")}`, detail: entry.key, status: null, error: null };
    case "journey_ended":
      return { what: `Journey ended: ${entry.kind.replace("_", " ")}`, detail: entry.key, status: null, error: null };
    case "event":
      return { what: `${entry.provider} event ${entry.eventType}`, detail: `received ${when(entry.receivedAt)}`, status: entry.outcome, error: entry.error };
    case "job":
      return { what: `Job ${entry.kind}`, detail: `attempt ${entry.attempts} of ${entry.maxAttempts}`, status: entry.status, error: entry.lastError };
  }
}

type TimelineRow = { at: Date; type: TimelineEntry["type"] } & ReturnType<typeof timelineText>;

const TIMELINE_COLUMNS: Array<Column<TimelineRow>> = [
  { label: "When", cell: (row) => when(row.at) },
  { label: "What", cell: (row) => row.what },
  {
    label: "Detail",
    cell: (row) => (
      <span>
        <span className="mono">{row.detail}</span>
        {row.error && <span className="action-result error"> {row.error}</span>}
      </span>
    ),
  },
  { label: "Status", cell: (row) => (row.status ? <StatusBadge status={row.status} /> : "—") },
];

const AUDIT_COLUMNS: Array<Column<CustomerView["audit"][number]>> = [
  { label: "When", cell: (row) => when(row.at) },
  { label: "Who", cell: (row) => row.actor },
  { label: "Action", className: "mono", cell: (row) => row.action },
  { label: "Reason", cell: (row) => row.reason ?? "—" },
  {
    label: "Change",
    cell: (row) => (
      <details>
        <summary>before and after</summary>
        <pre className="json">{JSON.stringify({ before: row.before, after: row.after }, null, 2)}</pre>
      </details>
    ),
  },
];

export default async function CustomerPage({ params }: { params: Promise<{ id: string }> }) {
  const { runtime } = await consolePage();
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  // The version first: should the record move between the two reads, the forms carry the older
  // version and an override is refused as stale rather than applied to a view the admin did not see.
  const subject = await readRecordSubject(runtime.db, id);
  const view = subject && (await getCustomerView(runtime.db, runtime.catalog, id));
  if (!subject || !view) notFound();
  const { customer, stripe, record, circle, kit, support, mismatches, timeline, audit } = view;
  const accessMismatches = (groupId: number) => mismatches.filter((mismatch) => mismatch.accessGroupId === groupId);
  const tagMismatches = (tagId: number) => mismatches.filter((mismatch) => mismatch.tagId === tagId && mismatch.kind !== "unsubscribed_tagged");
  const emailMismatches = mismatches.filter((mismatch) => mismatch.kind === "unsubscribed_tagged");
  const circleMismatched = mismatches.some((mismatch) => mismatch.accessGroupId !== null);
  const kitMismatched = mismatches.some((mismatch) => mismatch.tagId !== null);
  const paymentMismatches = mismatches.filter((mismatch) => mismatch.kind === "paid_no_access" || mismatch.kind === "access_not_paid");

  return (
    <>
      <p>
        <Link href="/admin/customers">← Customers</Link>
      </p>
      <h1>{customer.name ?? customer.email}</h1>
      <p className="lede">
        {customer.email} · record <span className="mono">{customer.id}</span> · customer since {when(customer.createdAt)}
        {customer.aliases.length > 0 && <> · also {customer.aliases.join(", ")}</>}
      </p>
      {customer.mergedInto && (
        <p className="panel" role="note">
          This record was merged into <Link href={`/admin/customers/${customer.mergedInto.id}`}>{customer.mergedInto.email}</Link>: its history lives there now.
        </p>
      )}
      {customer.mergedFrom.length > 0 && (
        <p>
          Merged into this record:{" "}
          {customer.mergedFrom.map((other, index) => (
            <span key={other.id}>
              {index > 0 && ", "}
              <Link href={`/admin/customers/${other.id}`}>{other.email}</Link>
            </span>
          ))}
        </p>
      )}

      <section className={`panel ${mismatches.length ? "has-mismatch" : ""}`} aria-labelledby="mismatch-heading" id="mismatches">
        <h2 id="mismatch-heading">
          {mismatches.length === 0 ? "No mismatch" : `${mismatches.length} ${mismatches.length === 1 ? "mismatch" : "mismatches"}`}
        </h2>
        {mismatches.length === 0 ? (
          <p>Stripe, the record, Circle and Kit agree.</p>
        ) : (
          <p>
            Marked below next to the system each concerns:{" "}
            {circleMismatched && <a href="#circle">Circle</a>}
            {circleMismatched && kitMismatched && ", "}
            {kitMismatched && <a href="#kit">Kit</a>}.
          </p>
        )}
      </section>

      <h2>Side by side</h2>
      <div className="systems">
        <section className={`panel ${paymentMismatches.length ? "has-mismatch" : ""}`} aria-labelledby="stripe-heading" id="stripe">
          <h3 id="stripe-heading">Stripe</h3>
          <dl className="facts">
            <dt>Customer</dt>
            <dd className="mono">{stripe.customerIds.join(", ") || "—"}</dd>
            <dt>Payment</dt>
            <dd>{stripe.paymentStatus ? <StatusBadge status={stripe.paymentStatus} /> : "no payment yet"}</dd>
            <dt>Last payment</dt>
            <dd>{stripe.lastPayment ? `${stripe.lastPayment.status}, ${when(stripe.lastPayment.at)}` : "—"}</dd>
            <dt>Last event</dt>
            <dd>{stripe.lastEvent ? `${stripe.lastEvent.type}, ${when(stripe.lastEvent.at)}` : "—"}</dd>
          </dl>
          {stripe.plans.length > 0 && (
            <ul className="plain-list">
              {stripe.plans.map((plan) => (
                <li key={plan.sourceId}>
                  {plan.planName} <StatusBadge status={plan.status} /> <span className="mono">{plan.sourceId}</span>
                  {plan.cancelAtPeriodEnd && <> · cancels at period end</>}
                </li>
              ))}
            </ul>
          )}
          {paymentMismatches.length > 0 && <p className="action-result error">Payment and access disagree: see Circle.</p>}
        </section>

        <section className="panel" aria-labelledby="record-heading" id="record">
          <h3 id="record-heading">Record</h3>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={record.status} />
            </dd>
            <dt>Access</dt>
            <dd>{record.hasAccess ? "has access" : "no access"}</dd>
            <dt>Until</dt>
            <dd>{record.hasAccess ? (record.accessUntil ? when(record.accessUntil) : "no end") : "—"}</dd>
            {record.graceUntil && (
              <>
                <dt>Grace until</dt>
                <dd>{when(record.graceUntil)}</dd>
              </>
            )}
          </dl>
          {record.entitlements.length > 0 && (
            <ul className="plain-list">
              {record.entitlements.map((entitlement) => (
                <li key={entitlement.sourceId}>
                  {entitlement.planName} <StatusBadge status={entitlement.status} /> {entitlement.hasAccess ? "with access" : "without access"}
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className={`panel ${circleMismatched ? "has-mismatch" : ""}`} aria-labelledby="circle-heading" id="circle">
          <h3 id="circle-heading">Circle</h3>
          <dl className="facts">
            <dt>Member</dt>
            <dd className="mono">{circle.memberIds.join(", ") || "—"}</dd>
          </dl>
          {circle.groups.length === 0 ? (
            <p className="empty">No access group.</p>
          ) : (
            <ul className="plain-list">
              {circle.groups.map((group) => (
                <li key={group.accessGroupId}>
                  <div>
                    <strong>Group {group.accessGroupId}:</strong> {group.state ? <StatusBadge status={group.state} /> : "not granted"} <Override override={group.override} />
                  </div>
                  {group.plans.length > 0 && <div className="hint">granted by {group.plans.join(", ")}</div>}
                  {group.lastError && <div className="action-result error">{group.lastError}</div>}
                  <MismatchList mismatches={accessMismatches(group.accessGroupId)} />
                </li>
              ))}
            </ul>
          )}
          <CircleLive customerId={customer.id} />
        </section>

        <section className={`panel ${kitMismatched ? "has-mismatch" : ""}`} aria-labelledby="kit-heading" id="kit">
          <h3 id="kit-heading">Kit</h3>
          <dl className="facts">
            <dt>Subscriber</dt>
            <dd className="mono">{kit.subscriberIds.join(", ") || "—"}</dd>
            <dt>Email</dt>
            <dd>
              <StatusBadge status={kit.emailStatus} />
            </dd>
          </dl>
          <MismatchList mismatches={emailMismatches} />
          {kit.tags.length === 0 ? (
            <p className="empty">No tag.</p>
          ) : (
            <ul className="plain-list">
              {kit.tags.map((tag) => (
                <li key={tag.tagId}>
                  <div>
                    <strong>Tag {tag.tagId}:</strong> {tag.state ? <StatusBadge status={tag.state} /> : "never set"} {seenInKit(tag.presentInKit)} <Override override={tag.override} />
                  </div>
                  <div className="hint">{tag.roles.join(", ") || "not in the catalog"}</div>
                  {tag.lastError && <div className="action-result error">{tag.lastError}</div>}
                  <MismatchList mismatches={tagMismatches(tag.tagId)} />
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="panel" aria-labelledby="support-heading" id="support">
          <h3 id="support-heading">Support</h3>
          {support.tickets.length === 0 ? (
            <p className="empty">No ticket.</p>
          ) : (
            <ul className="plain-list">
              {support.tickets.map((ticket) => (
                <li key={ticket.id}>
                  <Link href={`/admin/tickets/${ticket.id}`} className="mono">
                    {ticket.reference}
                  </Link>{" "}
                  <StatusBadge status={ticket.status} /> {ticket.category}, asked {ticket.asks}×{ticket.assignee && <>, {ticket.assignee.name}</>}
                </li>
              ))}
            </ul>
          )}
          <p>
            {support.conversations.length === 0
              ? "No chat."
              : `${support.conversations.length} ${support.conversations.length === 1 ? "chat" : "chats"}, ${support.conversations.reduce((sum, c) => sum + c.messageCount, 0)} messages; last ${when(support.conversations[0]?.lastMessageAt)}`}
          </p>
        </section>
      </div>

      <OverridesPanel view={view} catalog={runtime.catalog} version={subject.version} />

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Journey timeline</h2>
        {timeline.entries.length === 0 ? (
          <p className="empty">Nothing yet.</p>
        ) : (
          <StackedTable
            caption="Journeys, webhook events and jobs, oldest first"
            hiddenCaption
            columns={TIMELINE_COLUMNS}
            rows={timeline.entries.map((entry) => ({ at: entry.at, type: entry.type, ...timelineText(entry) }))}
            rowKey={(row, index) => `${row.type}-${index}`}
          />
        )}
      </section>

      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading">Audit trail</h2>
        {audit.length === 0 ? (
          <p className="empty">No admin action yet.</p>
        ) : (
          <StackedTable
            id="audit"
            caption="Admin actions on this customer, newest first"
            hiddenCaption
            columns={AUDIT_COLUMNS}
            rows={audit}
            rowKey={(row) => row.id}
          />
        )}
      </section>
    </>
  );
}
