import Link from "next/link";
import { searchCustomers, type CustomerHit } from "@/lib/admin/customer-view";
import { StatusBadge } from "../badges";
import { consolePage } from "../console-page";
import { FilterForm } from "../fields";
import { text, type SearchParams } from "../params";
import { StackedTable, type Column } from "../stacked-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Customers" };

const MATCHED: Record<string, string> = {
  id: "record id",
  email: "email",
  alias: "linked email",
  name: "name",
  stripe: "Stripe id",
};

const HIT_COLUMNS: Array<Column<CustomerHit>> = [
  {
    label: "Customer",
    cell: (hit) => (
      <span>
        <Link href={`/admin/customers/${hit.id}`}>{hit.name ?? hit.email}</Link>
        {hit.name && <> · {hit.email}</>}
        {hit.mergedIntoId && <span className="badge warn">merged into another record</span>}
      </span>
    ),
  },
  { label: "Status", cell: (hit) => <StatusBadge status={hit.summary.status} /> },
  { label: "Access", cell: (hit) => (hit.summary.hasAccess ? "has access" : "no access") },
  { label: "Plans", cell: (hit) => hit.summary.plans.join(", ") || "—" },
  { label: "Matched on", cell: (hit) => MATCHED[hit.matched] ?? hit.matched },
];

export default async function CustomersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { runtime } = await consolePage();
  const q = text((await searchParams).q);
  const searchable = q !== undefined && q.length >= 2;
  const hits = searchable ? await searchCustomers(runtime.db, q) : [];

  return (
    <>
      <h1>Customers</h1>
      <FilterForm action="/admin/customers" role="search" label="Find a customer" submitLabel="Search">
        <div className="field grow">
          <label htmlFor="customer-q">Email, name or Stripe id (cus_…, sub_…)</label>
          <input id="customer-q" name="q" type="search" defaultValue={q ?? ""} minLength={2} maxLength={320} required autoComplete="off" />
        </div>
      </FilterForm>

      {q !== undefined && !searchable && <p role="status">Type at least 2 characters.</p>}
      {searchable &&
        (hits.length === 0 ? (
          <p className="empty" role="status">
            No customer matches “{q}”.
          </p>
        ) : (
          <StackedTable
            caption={
              <>
                {hits.length} {hits.length === 1 ? "customer matches" : "customers match"} “{q}”
              </>
            }
            columns={HIT_COLUMNS}
            rows={hits}
            rowKey={(hit) => hit.id}
          />
        ))}
    </>
  );
}
