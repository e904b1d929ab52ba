"use client";

import { useState } from "react";

// The dashboard's "reconcile now": a dry run (reports drift, changes nothing) or a real run (the
// policy acts). POST /api/admin/reconcile (the console session authenticating it) hands the run to
// the worker; the button then follows it at GET /api/admin/reconcile/{id} until it is done, and
// announces the result in a live region as counts. A run already waiting or running is followed
// instead of starting another.

interface Summary {
  found: Record<string, number>;
  outcomes: Record<string, number>;
  providers: Record<string, { status: string; requests: number; reason?: string }>;
}

interface Run {
  id: string;
  dryRun: boolean;
  status: "queued" | "running" | "done" | "failed";
  report: Summary | null;
  error: string | null;
}

const POLL_MS = 1_000;

function describe(summary: Summary, dryRun: boolean): string {
  const found = Object.entries(summary.found).filter(([, count]) => count > 0);
  const drift = found.length === 0 ? "no new drift" : found.map(([kind, count]) => `${count} ${kind.replaceAll("_", " ")}`).join(", ");
  const acted = dryRun
    ? `would repair ${summary.outcomes.would_repair ?? 0}, would ticket ${summary.outcomes.would_ticket ?? 0}`
    : `repaired ${summary.outcomes.repaired ?? 0}, ticketed ${summary.outcomes.ticketed ?? 0}`;
  const stopped = Object.entries(summary.providers)
    .filter(([, status]) => status.status !== "done")
    .map(([provider, status]) => `${provider}: ${status.reason ?? status.status}`);
  return `${dryRun ? "Dry run" : "Reconciled"}: ${drift}; ${acted}; ${summary.outcomes.known ?? 0} already with a person.${stopped.length ? ` ${stopped.join(". ")}.` : ""}`;
}

const progress = (run: Run, earlier: boolean) =>
  `${earlier ? "A reconciliation asked for earlier is still going; following it. " : ""}${run.dryRun ? "Dry run" : "Reconciliation"} ${run.status === "queued" ? "waiting for the worker" : "running"}…`;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

export function ReconcileButton() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function follow(first: Run, earlier: boolean): Promise<string> {
    let run = first;
    while (run.status === "queued" || run.status === "running") {
      setMessage(progress(run, earlier));
      await sleep(POLL_MS);
      const response = await fetch(`/api/admin/reconcile/${run.id}`);
      const body = (await response.json().catch(() => null)) as { run?: Run; error?: string } | null;
      if (!response.ok || !body?.run) return body?.error ?? `The reconciliation could not be followed (HTTP ${response.status}).`;
      run = body.run;
    }
    if (run.status === "failed" || !run.report) return run.error ?? "The reconciliation failed.";
    return describe(run.report, run.dryRun);
  }

  async function run(dryRun: boolean) {
    setBusy(true);
    setMessage(null);
    try {
      const response = await fetch("/api/admin/reconcile", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dryRun }) });
      const body = (await response.json().catch(() => null)) as { run?: Run; error?: string } | null;
      if (body?.run && (response.status === 202 || response.status === 409)) setMessage(await follow(body.run, response.status === 409));
      else setMessage(body?.error ?? `The reconciliation failed (HTTP ${response.status}).`);
    } catch {
      setMessage("The reconciliation could not be reached.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="reconcile-heading">
      <h2 id="reconcile-heading">Reconcile with Circle, Kit and Stripe</h2>
      <p>Compares the record with each provider. The worker runs it, and this page shows the result when it is done. A dry run only reports; a real run repairs what the policy says and opens tickets for the rest.</p>
      <button type="button" className="secondary" disabled={busy} onClick={() => run(true)}>
        Dry run
      </button>{" "}
      <button type="button" disabled={busy} onClick={() => run(false)}>
        Reconcile now
      </button>
      <p role="status" aria-live="polite">
        {message ?? (busy ? "Asking the worker…" : null)}
      </p>
    </section>
  );
}
