import type { CustomerView } from "@/lib/admin/customer-view";
import type { PlanCatalog } from "@/lib/lifecycle/catalog";
import { ActionForm } from "../../action-form";
import { when } from "../../format";

// The overrides panel: one form per action, each with a required reason, posted to
// POST /api/admin/customers/{id}/overrides with the record's version the page showed (a form
// left open while the record moved on is refused, 409, and writes nothing). The action runs
// through the outbox like an automatic effect and writes its audit row; the page then refreshes
// to the converged record and the new audit entry.

function Reason({ id }: { id: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>Reason (required, kept in the audit trail)</label>
      <input id={id} name="reason" type="text" required minLength={3} maxLength={500} autoComplete="off" />
    </div>
  );
}

/** The catalog's Circle access groups, each with the plans that grant it. */
function catalogGroups(catalog: PlanCatalog): Array<{ id: number; label: string }> {
  const ids = [...new Set(catalog.plans.flatMap((plan) => plan.circleAccessGroupIds))].sort((a, b) => a - b);
  return ids.map((id) => ({ id, label: `Group ${id} (${catalog.plans.filter((plan) => plan.circleAccessGroupIds.includes(id)).map((plan) => plan.name).join(", ")})` }));
}

/** The catalog's Kit tags, each with what it means. */
function catalogTags(catalog: PlanCatalog): Array<{ id: number; label: string }> {
  const roles = new Map<number, Set<string>>();
  const add = (id: number, role: string) => roles.set(id, (roles.get(id) ?? new Set()).add(role));
  for (const plan of catalog.plans) for (const [status, ids] of Object.entries(plan.kitTagIds)) ids.forEach((id) => add(id, `${plan.key} ${status}`));
  catalog.promotionalTagIds.forEach((id) => add(id, "promotional"));
  return [...roles.keys()].sort((a, b) => a - b).map((id) => ({ id, label: `Tag ${id} (${[...roles.get(id)!].join(", ")})` }));
}

function Choice({ id, label, name, options }: { id: string; label: string; name: string; options: Array<{ id: number | string; label: string }> }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} required>
        {options.map((option) => (
          <option key={option.id} value={option.id}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** `version`: the record's version the page was read at, sent back so a stale form is refused. */
export function OverridesPanel({ view, catalog, version }: { view: CustomerView; catalog: PlanCatalog; version: string }) {
  const url = `/api/admin/customers/${view.customer.id}/overrides`;
  const form = (action: string) => ({ action, expectedVersion: version });
  const groups = catalogGroups(catalog);
  const tags = catalogTags(catalog);
  const openJourneys = view.timeline.journeys
    .filter((journey) => journey.endedAt === null)
    .map((journey) => ({ id: journey.id, label: `${journey.kind.replace("_", " ")} ${journey.key} (since ${when(journey.startedAt)})` }));

  return (
    <section aria-labelledby="overrides-heading">
      <h2 id="overrides-heading">Overrides</h2>
      <p className="lede">A deliberate decision the record keeps: later events and the reconciler respect it (a revoke stays a ban until someone grants again).</p>
      <div className="actions-grid">
        <div className="panel">
          <ActionForm url={url} fixed={form("grantAccess")} numbers={["accessGroupId"]} title="Grant access" submitLabel="Grant access" done="Access granted; the grant is on its way to Circle.">
            <Choice id="grant-group" label="Access group" name="accessGroupId" options={groups} />
            <Reason id="grant-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm
            url={url}
            fixed={form("revokeAccess")}
            numbers={["accessGroupId"]}
            title="Revoke access"
            submitLabel="Revoke access"
            done="Access revoked; the revoke is on its way to Circle."
            tone="danger"
          >
            <Choice id="revoke-group" label="Access group" name="accessGroupId" options={groups} />
            <Reason id="revoke-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("addTag")} numbers={["tagId"]} title="Add a tag" submitLabel="Add tag" done="Tag added; on its way to Kit.">
            <Choice id="add-tag" label="Kit tag" name="tagId" options={tags} />
            <Reason id="add-tag-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("removeTag")} numbers={["tagId"]} title="Remove a tag" submitLabel="Remove tag" done="Tag removed; on its way to Kit." tone="danger">
            <Choice id="remove-tag" label="Kit tag" name="tagId" options={tags} />
            <Reason id="remove-tag-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          {openJourneys.length === 0 ? (
            <>
              <h3>End a journey</h3>
              <p className="empty">No journey is open.</p>
            </>
          ) : (
            <ActionForm url={url} fixed={form("endJourney")} title="End a journey" submitLabel="End journey" done="Journey ended.">
              <Choice id="end-journey" label="Journey" name="journeyId" options={openJourneys} />
              <Reason id="end-journey-reason" />
            </ActionForm>
          )}
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("resendInvite")} title="Resend the Circle invite" submitLabel="Resend invite" done="Invite queued for resending.">
            <Reason id="resend-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("linkEmail")} title="Link another email" submitLabel="Link email" done="Email linked: events naming it now reach this customer.">
            <div className="field">
              <label htmlFor="link-email">Email (a typo at checkout, a changed address)</label>
              <input id="link-email" name="email" type="email" required maxLength={320} autoComplete="off" />
            </div>
            <Reason id="link-email-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("linkStripeCustomer")} title="Link a Stripe customer" submitLabel="Link Stripe customer" done="Stripe customer linked.">
            <div className="field">
              <label htmlFor="link-stripe">Stripe customer id</label>
              <input id="link-stripe" name="stripeCustomerId" type="text" required pattern="cus_[A-Za-z0-9_]+" placeholder="cus_…" autoComplete="off" />
            </div>
            <Reason id="link-stripe-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("merge")} title="Merge another record into this one" submitLabel="Merge" done="Merged: the other record's history now lives here." tone="danger">
            <div className="field">
              <label htmlFor="merge-other">The other customer&apos;s record id (from its customer page)</label>
              <input id="merge-other" name="otherCustomerId" type="text" required autoComplete="off" />
            </div>
            <Reason id="merge-reason" />
          </ActionForm>
        </div>
      </div>
    </section>
  );
}
