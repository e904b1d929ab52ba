import type { CustomerView } from "@/lib/admin/customer-view";
import type { PlanCatalog } from "@/lib/lifecycle/catalog";
import { ActionForm } from "../../action-form";
import { ReasonField, SelectField, type Option } from "../../fields";
import { when } from "../../format";

// The overrides panel: one form per action, each with a required reason, posted to
// POST /api/admin/customers/{id}/overrides with the record's version the page showed (a form
// left open while the record moved on is refused, 409, and writes nothing). The action runs
// through the outbox like an automatic effect and writes its audit row; the page then refreshes
// to the converged record and the new audit entry.

function Reason({ id }: { id: string }) {
  return <ReasonField id={id} label="Reason (required, kept in the audit trail)" />;
}

/** The catalog's Circle access groups, each with the plans that grant it. */
function catalogGroups(catalog: PlanCatalog): Option[] {
  const ids = [...new Set(catalog.plans.flatMap((plan) => plan.circleAccessGroupIds))].sort((a, b) => a - b);
  return ids.map((id) => ({ value: id, label: `Group ${id} (${catalog.plans.filter((plan) => plan.circleAccessGroupIds.includes(id)).map((plan) => plan.name).join(", ")})` }));
}

/** The catalog's Kit tags, each with what it means. */
function catalogTags(catalog: PlanCatalog): Option[] {
  const roles = new Map<number, Set<string>>();
  const add = (id: number, role: string) => roles.set(id, (roles.get(id) ?? new Set()).add(role));
  for (const plan of catalog.plans) for (const [status, ids] of Object.entries(plan.kitTagIds)) ids.forEach((id) => add(id, `${plan.key} ${status}`));
  catalog.promotionalTagIds.forEach((id) => add(id, "promotional"));
  return [...roles.keys()].sort((a, b) => a - b).map((id) => ({ value: id, label: `Tag ${id} (${[...roles.get(id)!].join(", ")})` }));
}

/** `version`: the record's version the page was read at, sent back so a stale form is refused. */
export function OverridesPanel({ view, catalog, version }: { view: CustomerView; catalog: PlanCatalog; version: string }) {
  const url = `/api/admin/customers/${view.customer.id}/overrides`;
  const form = (action: string) => ({ action, expectedVersion: version });
  const groups = catalogGroups(catalog);
  const tags = catalogTags(catalog);
  const openJourneys = view.timeline.journeys
    .filter((journey) => journey.endedAt === null)
    .map((journey) => ({ value: journey.id, label: `${journey.kind.replace("_", " ")} ${journey.key} (since ${when(journey.startedAt)})` }));

  return (
    <section aria-labelledby="overrides-heading">
      <h2 id="overrides-heading">Overrides</h2>
      <p className="lede">
        A deliberate decision the record keeps: later events and the reconciler respect it (a revoke stays a ban until someone grants again or clears it).
      </p>
      <div className="actions-grid">
        {view.overrides.map((held) => {
          const target = held.scope === "access" ? `access group ${held.targetId}` : `tag ${held.targetId}`;
          const id = `clear-${held.scope}-${held.targetId}`;
          return (
            <div className="panel" key={id}>
              <ActionForm
                url={url}
                fixed={{ ...form("clearOverride"), scope: held.scope, targetId: held.targetId }}
                title={`Clear the override on ${target}`}
                submitLabel="Clear override"
                done="Override cleared: the record follows its events again."
              >
                <p>
                  {held.effect === "deny" ? "Kept off" : "Held on"} by {held.actor} on {when(held.at)}: {held.reason}
                </p>
                <Reason id={`${id}-reason`} />
              </ActionForm>
            </div>
          );
        })}
        <div className="panel">
          <ActionForm url={url} fixed={form("grantAccess")} numbers={["accessGroupId"]} title="Grant access" submitLabel="Grant access" done="Access granted; the grant is on its way to Circle.">
            <SelectField id="grant-group" label="Access group" name="accessGroupId" options={groups} required />
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
            <SelectField id="revoke-group" label="Access group" name="accessGroupId" options={groups} required />
            <Reason id="revoke-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("addTag")} numbers={["tagId"]} title="Add a tag" submitLabel="Add tag" done="Tag added; on its way to Kit.">
            <SelectField id="add-tag" label="Kit tag" name="tagId" options={tags} required />
            <Reason id="add-tag-reason" />
          </ActionForm>
        </div>
        <div className="panel">
          <ActionForm url={url} fixed={form("removeTag")} numbers={["tagId"]} title="Remove a tag" submitLabel="Remove tag" done="Tag removed; on its way to Kit." tone="danger">
            <SelectField id="remove-tag" label="Kit tag" name="tagId" options={tags} required />
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
              <SelectField id="end-journey" label="Journey" name="journeyId" options={openJourneys} required />
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
