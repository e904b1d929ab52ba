"use client";

import { useState } from "react";
import type { CircleLiveRead } from "@/lib/admin/customer-view";

// "Read Circle live": asks Circle, now, whether it holds the customer in each access group
// (GET /api/admin/customers/{id}/circle, within the shared request budget) and shows the answer
// beside what the record says, or Circle's error in plain words.

type Read = Omit<CircleLiveRead, "checkedAt"> & { checkedAt: string };
type State = { kind: "idle" } | { kind: "reading" } | { kind: "read"; read: Read } | { kind: "failed"; message: string };

export function CircleLive({ customerId }: { customerId: string }) {
  const [state, setState] = useState<State>({ kind: "idle" });

  async function read() {
    setState({ kind: "reading" });
    try {
      const response = await fetch(`/api/admin/customers/${customerId}/circle`, { credentials: "same-origin" });
      const body = (await response.json().catch(() => null)) as (Read & { error?: string }) | null;
      if (!response.ok || !body) {
        setState({ kind: "failed", message: body?.error ?? `Circle could not be read (HTTP ${response.status}).` });
        return;
      }
      setState({ kind: "read", read: body });
    } catch {
      setState({ kind: "failed", message: "The console could not reach the server." });
    }
  }

  return (
    <div className="circle-live">
      <button type="button" className="secondary" onClick={() => void read()} disabled={state.kind === "reading"}>
        {state.kind === "reading" ? "Reading Circle…" : "Read Circle live"}
      </button>
      <div role="status" aria-live="polite">
        {state.kind === "failed" && <p className="action-result error">{state.message}</p>}
        {state.kind === "read" && (
          <div className="live-read">
            <p>
              Circle now ({new Date(state.read.checkedAt).toISOString().slice(11, 19)} UTC):{" "}
              {state.read.member
                ? `member ${state.read.member.id}, ${state.read.member.acceptedInvitation ? "invitation accepted" : "invitation not accepted yet"}`
                : "no member with this email"}
            </p>
            {state.read.groups.length > 0 && (
              <ul className="plain-list">
                {state.read.groups.map((group) => (
                  <li key={group.accessGroupId}>
                    Group {group.accessGroupId}: {group.inCircle ? "in the group" : "not in the group"}; record says {group.recorded ?? "nothing"}{" "}
                    {group.agrees ? <span className="badge good">agrees</span> : <span className="badge bad">disagrees</span>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
