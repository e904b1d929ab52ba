import Link from "next/link";
import { searchCustomers } from "@/lib/admin/customer-view";
import { StatusBadge } from "../badges";
import { consolePage } from "../console-page";
import { text, type SearchParams } from "../params";

export const dynamic = "force-dynamic";
export const metadata = { title: "Customers" };

const MATCHED: Record<string, string> = {
  id: "record id",
  email: "email",
  alias: "linked email",
  name: "name",
  stripe: "Stripe id",
};

export default async function CustomersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { runtime } = await consolePage();
  const q = text((await searchParams).q);
  const searchable = q !== undefined && q.length >= 2;
  const hits = searchable ? await searchCustomers(runtime.db, q) : [];

  return (
    <>
      <h1>Customers</h1>
      <form className="filters panel" method="get" action="/admin/customers" role="search" aria-label="Find a customer">
        <div className="field grow">
          <label htmlFor="customer-q">Email, name or Stripe id (cus_…, sub_…)</label>
          <input id="customer-q" name="q" type="search" defaultValue={q ?? ""} minLength={2} maxLength={320} required autoComplete="off" />
        </div>
        <button type="submit">Search</button>
      </form>

      {q !== undefined && !searchable && <p role="status">Type at least 2 characters.</p>}
      {searchable &&
        (hits.length === 0 ? (
          <p className="empty" role="status">
            No customer matches “{q}”.
          </p>
        ) : (
          <table className="data-table stack">
            <caption>
              {hits.length} {hits.length === 1 ? "customer matches" : "customers match"} “{q}”
            </caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Status</th>
                <th scope="col">Access</th>
                <th scope="col">Plans</th>
                <th scope="col">Matched on</th>
              </tr>
            </thead>
            <tbody>
              {hits.map((hit) => (
                <tr key={hit.id}>
                  <td data-label="Customer">
                    <span>
                      <Link href={`/admin/customers/${hit.id}`}>{hit.name ?? hit.email}</Link>
                      {hit.name && <> · {hit.email}</>}
                      {hit.mergedIntoId && <span className="badge warn">merged into another record</span>}
                    </span>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={hit.summary.status} />
                  </td>
                  <td data-label="Access">{hit.summary.hasAccess ? "has access" : "no access"}</td>
                  <td data-label="Plans">{hit.summary.plans.join(", ") || "—"}</td>
                  <td data-label="Matched on">{MATCHED[hit.matched] ?? hit.matched}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </>
  );
}
