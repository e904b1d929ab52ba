import type { Database } from "../db";
import { jobRow } from "../jobs/kinds";
import { findCustomerId } from "./read";
import * as store from "./store";

// "Send my invite again": for a paying customer whose community access is pending, invited or
// failed, at most once per customer per 15 minutes. The window is kept in the database (the
// audit log of resends), not in a timer, so every instance agrees.

export const RESEND_WINDOW_MS = 15 * 60_000;

export type ResendOutcome =
  | { result: "queued"; groups: number }
  | { result: "already_queued"; reason: string }
  | { result: "already_active" }
  | { result: "not_eligible"; reason: string };

const RESENDABLE = new Set(["pending", "invited", "failed"]);

export async function requestInviteResend(db: Database, identity: string, now = new Date()): Promise<ResendOutcome> {
  const customerId = await findCustomerId(db, identity);
  if (!customerId) return { result: "not_eligible", reason: "no purchase is linked to this email address" };
  return db.transaction(async (tx): Promise<ResendOutcome> => {
    await store.lockCustomer(tx, customerId);
    const state = await store.readResendState(tx, customerId, new Date(now.getTime() - RESEND_WINDOW_MS));
    if (!state.hasActiveMembership) return { result: "not_eligible", reason: "there is no active membership on this account" };
    const resendable = state.grants.filter((grant) => RESENDABLE.has(grant.state));
    if (resendable.length === 0) {
      return state.grants.some((grant) => grant.state === "active")
        ? { result: "already_active" }
        : { result: "not_eligible", reason: "the membership includes no community access" };
    }
    if (state.resentRecently) return { result: "already_queued", reason: "an invite was resent less than 15 minutes ago" };
    if (state.grantsInFlight > 0) return { result: "already_queued", reason: "the invite is already on its way" };

    const next = resendable.map((grant) => ({ id: grant.id, accessGroupId: grant.accessGroupId, version: grant.version + 1 }));
    const jobs = next.map((grant) => jobRow("circle.grant", { customerId, accessGroupId: grant.accessGroupId, version: grant.version }, { customerId }));
    await store.requeueGrants(tx, customerId, next, jobs, "asked the support chat to resend the community invite");
    return { result: "queued", groups: resendable.length };
  });
}
