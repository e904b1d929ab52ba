import type { Database, Session } from "../db";
import { jobRow } from "../jobs/kinds";
import { findCustomerId } from "./read";
import * as store from "./store";

// "Send my invite again": re-queues the customer's community grants that are pending, invited
// or failed (a failed removal is not an invite), each at its next version with its job. Asked by
// the customer through the chat: only with an active membership, at most once per customer per
// 15 minutes, and not while a grant is on its way. The window is kept in the database (the audit
// log of resends, an admin's included), not in a timer, so every instance agrees. Asked by an
// admin (an override): none of those limits, as a person decided it and the override is audited.

export const RESEND_WINDOW_MS = 15 * 60_000;

export type ResendOutcome =
  | { result: "queued"; groups: number }
  | { result: "already_queued"; reason: string }
  | { result: "already_active" }
  | { result: "not_eligible"; reason: string };

const RESENDABLE = new Set(["pending", "invited", "failed"]);

/** The grants a resend re-queues: not yet accepted, or failed to be granted (a failed revoke is left alone). */
function resendable(state: store.ResendState) {
  return state.grants.filter((grant) => RESENDABLE.has(grant.state) && !(grant.state === "failed" && grant.lastError?.startsWith("revoke failed")));
}

/** Re-queues the grants at their next version with their jobs; returns the groups and versions queued. */
async function requeue(tx: Session, customerId: string, grants: ReturnType<typeof resendable>, customerReason: string | null) {
  const next = grants.map((grant) => ({ id: grant.id, accessGroupId: grant.accessGroupId, version: grant.version + 1 }));
  const jobs = next.map((grant) => jobRow("circle.grant", { customerId, accessGroupId: grant.accessGroupId, version: grant.version }, { customerId }));
  await store.requeueGrants(tx, customerId, next, jobs, customerReason);
  return next.map(({ accessGroupId, version }) => ({ accessGroupId, version }));
}

export async function requestInviteResend(db: Database, identity: string, now = new Date()): Promise<ResendOutcome> {
  const customerId = await findCustomerId(db, identity);
  if (!customerId) return { result: "not_eligible", reason: "no purchase is linked to this email address" };
  return db.transaction(async (tx): Promise<ResendOutcome> => {
    await store.lockCustomer(tx, customerId);
    const state = await store.readResendState(tx, customerId, new Date(now.getTime() - RESEND_WINDOW_MS));
    if (!state.hasActiveMembership) return { result: "not_eligible", reason: "there is no active membership on this account" };
    const grants = resendable(state);
    if (grants.length === 0) {
      return state.grants.some((grant) => grant.state === "active")
        ? { result: "already_active" }
        : { result: "not_eligible", reason: "the membership includes no community access" };
    }
    if (state.resentRecently) return { result: "already_queued", reason: "an invite was resent less than 15 minutes ago" };
    if (state.grantsInFlight > 0) return { result: "already_queued", reason: "the invite is already on its way" };
    await requeue(tx, customerId, grants, "asked the support chat to resend the community invite");
    return { result: "queued", groups: grants.length };
  });
}

export type AdminResend =
  | { result: "queued"; before: Array<{ accessGroupId: number; state: string; version: number }>; queued: Array<{ accessGroupId: number; version: number }> }
  | { result: "nothing_to_resend"; reason: string };

/** An admin's resend, in the caller's transaction under the customer's lock (audited by the caller). */
export async function resendInvitesForAdmin(tx: Session, customerId: string, now: Date): Promise<AdminResend> {
  const state = await store.readResendState(tx, customerId, now);
  const grants = resendable(state);
  if (grants.length === 0) {
    return {
      result: "nothing_to_resend",
      reason: state.grants.some((grant) => grant.state === "active") ? "community access is active already" : "no community access is pending, invited or failed",
    };
  }
  const before = grants.map(({ accessGroupId, state: grantState, version }) => ({ accessGroupId, state: grantState, version }));
  return { result: "queued", before, queued: await requeue(tx, customerId, grants, null) };
}
