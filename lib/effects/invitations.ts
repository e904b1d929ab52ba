import type { z } from "zod";
import type { Database } from "../db";
import type { CircleClient } from "../integrations/circle";
import { ShareSpentError } from "../jobs/budget";
import { JobFailure } from "../jobs/errors";
import { JOB_KINDS, jobRow } from "../jobs/kinds";
import { dueJobs, enqueue, jobExists } from "../jobs/queue";
import type { JobHandlers } from "../jobs/worker";
import { readGrantForJob, recordInvitationAccepted, recordInvitationsAccepted } from "../record/store";
import { invitationCheckJob, listingIsCheaper, MEMBERS_PAGE_SIZE } from "../reconcile/follow-up";
import type { ProviderCall } from "./provider-call";

// Circle sends no webhook when a member accepts an invitation, so a grant left `invited` is
// looked at again on a backoff schedule until they accept or the schedule ends: a member who
// joined is shown active (the bot then says they are in), and the checks cost Circle's quota
// only while someone is waiting. When many checks of one group fall due together, one listing
// of the community (a page per 100 members) answers them all, if that is fewer requests.

/** Checks of the same group due now (or waiting a moment for their batch) are answered together. */
const BATCH_WINDOW_MS = 1_000;

/** How long a check waits for the one answering its group's batch (a listing takes a few requests). */
const BATCH_WAIT_MS = 500;

export function createInvitationHandlers(
  db: Database,
  circle: CircleClient,
  call: ProviderCall,
  now: () => Date = () => new Date(),
): Pick<JobHandlers, "circle.invitation_check"> {
  const checkPayload = JOB_KINDS["circle.invitation_check"].payload;
  type Check = z.infer<typeof checkPayload>;

  /** Schedules the next look for a check whose member has not accepted (none once the schedule is over). */
  async function scheduleNext(check: Check) {
    const next = invitationCheckJob({ customerId: check.customerId, accessGroupId: check.accessGroupId, version: check.version }, new Date(check.invitedAt), check.step + 1);
    // Counted from the grant, so a late run does not shift the schedule; never in the past.
    if (next) await enqueue(db, [{ ...next, runAt: new Date(Math.max(now().getTime(), new Date(next.runAt).getTime())).toISOString() }]);
  }

  /**
   * Answers every due check of the group with one listing of the community, when the first page
   * (which says how many members there are) shows that is cheaper; false otherwise.
   */
  async function answerBatch(accessGroupId: number, batch: Check[]): Promise<boolean> {
    const first = await call(() => circle.listMembersPage(1, MEMBERS_PAGE_SIZE));
    const accepted = first.members.filter((member) => member.acceptedInvitation).map((member) => member.id);
    if (first.hasNextPage && (first.count === null || !listingIsCheaper(batch.length - 1, first.count - MEMBERS_PAGE_SIZE))) {
      await recordInvitationsAccepted(db, accessGroupId, accepted);
      return false;
    }
    let page = first;
    for (let number = 2; page.hasNextPage; number++) {
      page = await call(() => circle.listMembersPage(number, MEMBERS_PAGE_SIZE));
      accepted.push(...page.members.filter((member) => member.acceptedInvitation).map((member) => member.id));
    }
    await recordInvitationsAccepted(db, accessGroupId, accepted);
    // Those still invited get their next look now: their own jobs find it scheduled and stop.
    for (const check of batch) {
      const grant = await readGrantForJob(db, check.customerId, check.accessGroupId);
      if (grant?.version === check.version && grant.state === "invited") await scheduleNext(check);
    }
    return true;
  }

  return {
    "circle.invitation_check": {
      async run(payload) {
        const { customerId, accessGroupId, version, step } = payload;
        const grant = await readGrantForJob(db, customerId, accessGroupId);
        if (!grant || grant.version !== version || grant.state !== "invited") return;
        const next = invitationCheckJob({ customerId, accessGroupId, version }, new Date(payload.invitedAt), step + 1);
        // A batch answered this check already.
        if (next && (await jobExists(db, next.dedupeKey))) return;
        try {
          const due = await dueJobs(db, "circle.invitation_check", { accessGroupId }, BATCH_WINDOW_MS);
          if (due.length > 1) {
            // The first check of the batch answers it; the others wait for that answer.
            const mine = jobRow("circle.invitation_check", payload).dedupeKey;
            if (due[0]!.dedupeKey !== mine) throw new JobFailure("waiting for this group's batch of invitation checks", { next: "retry", retryAfterMs: BATCH_WAIT_MS, expected: true });
            const batch = due.flatMap((job) => {
              const parsed = checkPayload.safeParse(job.payload);
              return parsed.success ? [parsed.data] : [];
            });
            if (await answerBatch(accessGroupId, batch)) return;
            const after = await readGrantForJob(db, customerId, accessGroupId);
            if (after?.version !== version || after.state !== "invited") return;
          }
          const member = await call(() => circle.findMemberByEmail(grant.memberEmail ?? grant.email));
          if (member?.acceptedInvitation && (await recordInvitationAccepted(db, { customerId, accessGroupId, version }))) return;
        } catch (error) {
          // The background share is spent: this check waits for it to reopen; grants go on.
          if (error instanceof ShareSpentError) {
            throw new JobFailure(error.message, { next: "retry", retryAfterMs: error.retryAfterMs, expected: true });
          }
          throw error;
        }
        await scheduleNext(payload);
      },
    },
  };
}
