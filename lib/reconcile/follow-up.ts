import { jobRow, type JobRow } from "../jobs/kinds";

// Pure: when an invited member is looked at again, and when one listing of the community is
// cheaper than one search per member. Used by the invitation checks (lib/effects/invitations.ts)
// and the reconciler's Circle pass.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Delays after the grant (not after the previous check): 10 min, 1 h, 6 h, 24 h, then daily for a week. */
export const INVITATION_CHECK_DELAYS_MS: readonly number[] = [10 * MINUTE, HOUR, 6 * HOUR, DAY, ...Array.from({ length: 7 }, (_, day) => (day + 2) * DAY)];

/** When check `step` runs, for a grant invited at `invitedAt`; null once the schedule is over. */
export function invitationCheckAt(invitedAt: Date, step: number): Date | null {
  const delay = INVITATION_CHECK_DELAYS_MS[step];
  return delay === undefined ? null : new Date(invitedAt.getTime() + delay);
}

/** The check job for `step` (null once the schedule is over). */
export function invitationCheckJob(grant: { customerId: string; accessGroupId: number; version: number }, invitedAt: Date, step: number): JobRow | null {
  const runAt = invitationCheckAt(invitedAt, step);
  return runAt && jobRow("circle.invitation_check", { ...grant, step, invitedAt: invitedAt.toISOString() }, { runAt, customerId: grant.customerId });
}

/** Members per page of Circle's community listing. */
export const MEMBERS_PAGE_SIZE = 100;

/**
 * Whether one listing of the community answers `dueChecks` checks in fewer requests than one
 * search each: the listing costs a page per MEMBERS_PAGE_SIZE members.
 */
export function listingIsCheaper(dueChecks: number, communityMembers: number): boolean {
  return Math.ceil(communityMembers / MEMBERS_PAGE_SIZE) < dueChecks;
}
