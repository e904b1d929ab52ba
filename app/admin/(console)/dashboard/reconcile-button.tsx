"use client";

import { useState } from "react";

// The dashboard's "reconcile now": a dry run (reports drift, changes nothing) or a real run (the
// policy acts), through POST /api/admin/reconcile, the console session authenticating it. The
// result is announced in a live region as counts.

interface Summary {
  found: Record<string, number>;
  outcomes: Record<string, number>;
  providers: Record<string, { status: string; requests: number; reason?: string }>;
}

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

export function ReconcileButton() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function run(dryRun: boolean) {
    setBusy(true);
    setMessage(null);
    try {
      const response = await fetch("/api/admin/reconcile", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dryRun }) });
      const body = (await response.json().catch(() => null)) as (Summary & { error?: string }) | null;
      setMessage(response.ok && body ? describe(body, dryRun) : (body?.error ?? `The reconciliation failed (HTTP ${response.status}).`));
    } catch {
      setMessage("The reconciliation could not be reached.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="reconcile-heading">
      <h2 id="reconcile-heading">Reconcile with Circle, Kit and Stripe</h2>
      <p>Compares the record with each provider now. A dry run only reports; a real run repairs what the policy says and opens tickets for the rest.</p>
      <button type="button" className="secondary" disabled={busy} onClick={() => run(true)}>
        Dry run
      </button>{" "}
      <button type="button" disabled={busy} onClick={() => run(false)}>
        Reconcile now
      </button>
      <p role="status" aria-live="polite">
        {busy ? "Reconciling…" : message}
      </p>
    </section>
  );
}
