import { runConsoleDoctor, type DoctorRow } from "@/lib/admin/doctor-view";
import { consolePage } from "../console-page";
import { StackedTable, type Column } from "../stacked-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Launch doctor" };

const TONE: Record<DoctorRow["status"], string> = { pass: "good", fail: "bad", warn: "warn", skip: "" };

const COLUMNS: ReadonlyArray<Column<DoctorRow>> = [
  { label: "Check", cell: (row) => <strong>{row.title}</strong> },
  { label: "Result", cell: (row) => <span className={`badge ${TONE[row.status]}`}>{row.statusLabel}</span> },
  { label: "Requirement", cell: (row) => (row.requirement === "must-have" ? "Must-have" : "Recommended") },
  {
    label: "Details",
    cell: (row) => (
      <>
        <p className="hint">{row.detail}</p>
        {row.sandboxed && (
          <p>
            <span className="badge held">Sandboxed</span> {row.sandboxed}
          </p>
        )}
        {row.fix.length > 0 && (
          <div>
            <strong>Fix:</strong>
            <ul className="plain-list">
              {row.fix.map((line, index) => (
                <li key={index}>{line}</li>
              ))}
            </ul>
          </div>
        )}
      </>
    ),
  },
];

export default async function DoctorPage() {
  await consolePage();
  const view = await runConsoleDoctor(process.env);
  const { counts } = view;
  return (
    <>
      <h1>Launch doctor</h1>
      <p className="lede">
        The checks of <code>npm run doctor</code>, run now against this server&apos;s environment: the variables, Stripe, Circle, Kit, HTTPS on
        PUBLIC_URL and the sending domain&apos;s SPF, DKIM and DMARC. A failed must-have blocks the launch; each failure says how to fix it.
      </p>
      <section className="panel" aria-labelledby="doctor-summary">
        <h2 id="doctor-summary">{view.ready ? "Ready to go live" : "Not ready to go live"}</h2>
        <p role="status">{view.headline}</p>
        <p className="hint">
          {counts.pass} passed, {counts.warn} {counts.warn === 1 ? "warning" : "warnings"}, {counts.fail} failed, {counts.skip} skipped. Checked{" "}
          <time dateTime={view.checkedAt}>{view.checkedAt.replace("T", " ").slice(0, 19)} UTC</time> in {view.tookMs} ms.
        </p>
        {view.demo && (
          <p className="hint">
            This server runs the demo (APP_MODE=demo or no DATABASE_URL): the checks describe the demo&apos;s setup, which is not meant to go live.
          </p>
        )}
        {/* A plain GET of this page runs every check again. */}
        <form method="get" action="/admin/doctor">
          <button type="submit">Run again</button>
        </form>
      </section>
      <StackedTable caption="The launch checklist" hiddenCaption columns={COLUMNS} rows={view.rows} rowKey={(row) => row.id} />
    </>
  );
}
