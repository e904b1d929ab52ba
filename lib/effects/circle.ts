import type { Database } from "../db";
import type { CircleClient } from "../integrations/circle";
import type { JobHandlers } from "../jobs/worker";
import { pinGrantAddress, readGrantForJob, recordGrantDone, recordGrantFailed, recordRevokeDone } from "../record/store";
import { enqueue } from "../jobs/queue";
import { escalateForCustomer } from "../support/tickets";
import { invitationCheckJob } from "../reconcile/follow-up";
import type { ProviderCall } from "./provider-call";

// Circle access: grant a member an access group (creating them, which sends Circle's
// invitation), or take it away.

export function createCircleHandlers(db: Database, circle: CircleClient, call: ProviderCall): Pick<JobHandlers, "circle.grant" | "circle.revoke"> {
  return {
    "circle.grant": {
      async run({ customerId, accessGroupId, version }) {
        const grant = await readGrantForJob(db, customerId, accessGroupId);
        if (!grant || grant.version !== version) return;
        // Circle knows the customer under the address they were first invited with, which an
        // email change at Stripe does not move: a grant goes to that member, never to a new
        // one (a second member is a second invitation, and a second account).
        const email = await pinGrantAddress(db, { customerId, grantId: grant.id, version });
        if (email === null) return;
        // Someone we never saw in Circle is most likely new: create first (an address Circle
        // already knows comes back as that member), and search only for known members.
        const existing = grant.knownInCircle ? await call(() => circle.findMemberByEmail(email)) : null;
        let member = existing;
        if (existing) await call(() => circle.addToAccessGroup(accessGroupId, email));
        else member = await call(() => circle.createMember({ email, name: grant.name ?? undefined, accessGroupIds: [accessGroupId] }));
        if (!member) return;
        // A member who has accepted Circle's invitation (now or earlier) can use the group; one
        // who has not, new or invited before, still has an invitation to accept.
        await recordGrantDone(db, {
          grantId: grant.id,
          version,
          state: member.acceptedInvitation ? "active" : "invited",
          circleMemberId: member.id,
          memberEmail: email,
          customerId,
        });
        // Circle will not say when they accept: look again on the follow-up schedule.
        if (!member.acceptedInvitation) {
          const check = invitationCheckJob({ customerId, accessGroupId, version }, new Date(), 0);
          if (check) await enqueue(db, [check]);
        }
      },
      // Retries are spent: the grant is marked failed and a person is asked to look, on the
      // customer's access ticket for the purchase (one per journey, shared with the chat's asks).
      // Not when a newer decision superseded this grant's version (a refund revoked it, say).
      async onDead(payload, error) {
        await recordGrantFailed(db, payload, error);
        const grant = await readGrantForJob(db, payload.customerId, payload.accessGroupId);
        if (!grant || grant.version !== payload.version) return;
        await escalateForCustomer(db, {
          customerId: payload.customerId,
          category: "access",
          // Plain words: the provider's error (which can quote the member's email) stays on the job.
          summary: `Community access could not be set up in Circle (access group ${payload.accessGroupId}): every attempt failed and the job is in the dead letters.`,
        });
      },
    },
    "circle.revoke": {
      async run({ customerId, accessGroupId, version }) {
        const grant = await readGrantForJob(db, customerId, accessGroupId);
        if (!grant || grant.version !== version) return;
        await call(() => circle.removeFromAccessGroup(accessGroupId, grant.memberEmail ?? grant.email));
        await recordRevokeDone(db, grant.id, version);
      },
      onDead: (payload, error) => recordGrantFailed(db, payload, `revoke failed: ${error}`),
    },
  };
}
