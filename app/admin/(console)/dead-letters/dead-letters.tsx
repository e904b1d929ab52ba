"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { JobFailure } from "@/lib/jobs/queue";
import { ReasonAction } from "../fields";
import { StackedTable, type Column } from "../stacked-table";

// The dead-letter queue as GET /api/admin/jobs?status=dead returns it (the route operators script
// against), read again after each replay or discard. Last errors arrive redacted by the server.

interface DeadJob {
  id: string;
  kind: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** Each failed attempt and lost lease, newest last (at most ten). */
  failures: JobFailure[];
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

/** The last error, and the earlier failures behind a disclosure: a job that failed differently on each try shows how. */
function LastError({ job }: { job: DeadJob }) {
  const earlier = job.failures.slice(0, -1);
  return (
    <>
      <span className="mono">{job.lastError ?? "—"}</span>
      {earlier.length > 0 && (
        <details>
          <summary>
            {earlier.length} earlier {earlier.length === 1 ? "failure" : "failures"}
          </summary>
          <ol className="failures">
            {earlier.map((failure) => (
              <li key={`${failure.at}-${failure.attempt}`}>
                {stamp(failure.at)}, attempt {failure.attempt}: <span className="mono">{failure.error}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </>
  );
}

function DeadJobTable({ jobs, settled }: { jobs: DeadJob[]; settled: (what: string) => () => void }) {
  const columns: Array<Column<DeadJob>> = [
    {
      label: "Job",
      cell: (job) => (
        <span>
          <span className="mono">{job.kind}</span>
          <br />
          <span className="hint mono">{job.id}</span>
        </span>
      ),
    },
    { label: "Customer", cell: (job) => (job.customerId ? <Link href={`/admin/customers/${job.customerId}`}>customer record</Link> : "—") },
    {
      label: "Attempts",
      num: true,
      cell: (job) => (
        <>
          {job.attempts} of {job.maxAttempts}
        </>
      ),
    },
    { label: "Died", cell: (job) => stamp(job.finishedAt ?? job.updatedAt) },
    { label: "Last error", cell: (job) => <LastError job={job} /> },
    {
      label: "Actions",
      cell: (job) => (
        <div className="row-actions">
          <ReasonAction
            summary="Replay"
            reasonId={`replay-${job.id}`}
            url={`/api/admin/jobs/${job.id}/replay`}
            submitLabel="Replay job"
            done="Back in the queue."
            onDone={settled(`Replayed ${job.kind} (${job.id.slice(0, 8)}): it is back in the queue.`)}
          />
          <ReasonAction
            summary="Discard"
            reasonId={`discard-${job.id}`}
            url={`/api/admin/jobs/${job.id}/discard`}
            submitLabel="Discard job"
            done="Discarded."
            tone="danger"
            onDone={settled(`Discarded ${job.kind} (${job.id.slice(0, 8)}).`)}
          />
        </div>
      ),
    },
  ];
  return (
    <StackedTable
      caption={
        <>
          {jobs.length} dead {jobs.length === 1 ? "job" : "jobs"}, most recent first
        </>
      }
      columns={columns}
      rows={jobs}
      rowKey={(job) => job.id}
    />
  );
}
