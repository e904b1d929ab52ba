"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { ActionForm } from "../action-form";

// The dead-letter queue as GET /api/admin/jobs?status=dead returns it (the route operators script
// against), read again after each replay or discard. Last errors arrive redacted by the server.

interface DeadJob {
  id: string;
  kind: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  customerId: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

type State = { kind: "loading" } | { kind: "loaded"; jobs: DeadJob[] } | { kind: "failed"; message: string };

const stamp = (at: string | null) => (at ? `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC` : "—");

/** The dead-letter queue as the route returns it, or why it could not be read. */
async function readDeadJobs(): Promise<State> {
  try {
    const response = await fetch("/api/admin/jobs?status=dead&limit=200", { credentials: "same-origin", cache: "no-store" });
    const body = (await response.json().catch(() => null)) as { jobs?: DeadJob[]; error?: string } | null;
    if (!response.ok || !body?.jobs) return { kind: "failed", message: body?.error ?? `The dead letters could not be read (HTTP ${response.status}).` };
    return { kind: "loaded", jobs: body.jobs };
  } catch {
    return { kind: "failed", message: "The console could not reach the server." };
  }
}

export function DeadLetters() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const [notice, setNotice] = useState("");
  // Bumped after each replay or discard: the list is read again.
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    void readDeadJobs().then((next) => {
      if (current) setState(next);
    });
    return () => {
      current = false;
    };
  }, [version]);

  /** After a replay or discard the row leaves the list, so the outcome is announced above it. */
  const settled = (what: string) => () => {
    setNotice(what);
    setVersion((previous) => previous + 1);
  };

  return (
    <>
      <p className="action-result ok" role="status" aria-live="polite">
        {notice}
      </p>
      {state.kind === "loading" && <p>Reading the dead letters…</p>}
      {state.kind === "failed" && <p className="action-result error">{state.message}</p>}
      {state.kind === "loaded" && state.jobs.length === 0 && <p className="empty">No dead letter: every job ran or is still trying.</p>}
      {state.kind === "loaded" && state.jobs.length > 0 && <DeadJobTable jobs={state.jobs} settled={settled} />}
    </>
  );
}

function DeadJobTable({ jobs, settled }: { jobs: DeadJob[]; settled: (what: string) => () => void }) {
  return (
    <table className="data-table stack">
      <caption>
        {jobs.length} dead {jobs.length === 1 ? "job" : "jobs"}, most recent first
      </caption>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Customer</th>
          <th scope="col" className="num">
            Attempts
          </th>
          <th scope="col">Died</th>
          <th scope="col">Last error</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id}>
            <td data-label="Job">
              <span>
                <span className="mono">{job.kind}</span>
                <br />
                <span className="hint mono">{job.id}</span>
              </span>
            </td>
            <td data-label="Customer">{job.customerId ? <Link href={`/admin/customers/${job.customerId}`}>customer record</Link> : "—"}</td>
            <td data-label="Attempts" className="num">
              {job.attempts} of {job.maxAttempts}
            </td>
            <td data-label="Died">{stamp(job.finishedAt ?? job.updatedAt)}</td>
            <td data-label="Last error">
              <span className="mono">{job.lastError ?? "—"}</span>
            </td>
            <td data-label="Actions">
              <div className="row-actions">
                <details>
                  <summary>Replay</summary>
                  <ActionForm url={`/api/admin/jobs/${job.id}/replay`} submitLabel="Replay job" done="Back in the queue." onDone={settled(`Replayed ${job.kind} (${job.id.slice(0, 8)}): it is back in the queue.`)}>
                    <div className="field">
                      <label htmlFor={`replay-${job.id}`}>Reason</label>
                      <input id={`replay-${job.id}`} name="reason" type="text" required minLength={3} maxLength={500} autoComplete="off" />
                    </div>
                  </ActionForm>
                </details>
                <details>
                  <summary>Discard</summary>
                  <ActionForm url={`/api/admin/jobs/${job.id}/discard`} submitLabel="Discard job" done="Discarded." tone="danger" onDone={settled(`Discarded ${job.kind} (${job.id.slice(0, 8)}).`)}>
                    <div className="field">
                      <label htmlFor={`discard-${job.id}`}>Reason</label>
                      <input id={`discard-${job.id}`} name="reason" type="text" required minLength={3} maxLength={500} autoComplete="off" />
                    </div>
                  </ActionForm>
                </details>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
