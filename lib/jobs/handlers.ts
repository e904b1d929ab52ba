import { z } from "zod";
import type { Database } from "../db";
import { IntegrationError } from "../integrations/errors";
import type { CircleClient } from "../integrations/circle";
import type { KitClient } from "../integrations/kit";
import type { PlanCatalog } from "../lifecycle/catalog";
import { applyWebhookEvent, recheckCustomer } from "../lifecycle/engine";
import type { ClaimedJob } from "./queue";
import type { RequestBudget } from "./budget";
import type { EmailStatus, TagState } from "../generated/prisma/enums";

// One handler per job kind. Each checks before it acts: a job whose row has moved on to a
// newer version does nothing, and each provider call is idempotent, so running a job twice
// (a retry after a timeout that did succeed, a worker killed mid-job) changes nothing.

class CustomerNotIdentifiedError extends Error {
  readonly retryable = true;
  /** Expected (Stripe delivers out of order), not a failure: logged at info, not warn. */
  readonly waiting = true;
  constructor() {
    super("waiting for the event that identifies the customer");
    this.name = "CustomerNotIdentifiedError";
  }
}

export interface HandlerDeps {
  db: Database;
  catalog: PlanCatalog;
  circle: CircleClient;
  kit: KitClient;
  circleBudget: RequestBudget;
  kitBudget: RequestBudget;
  /** How long to pause on a 429 without Retry-After (Kit sends none): its one-minute window. */
  defaultRateLimitPauseMs?: number;
}

export interface JobHandler {
  run(job: ClaimedJob): Promise<void>;
  /** Called once a job is dead-lettered, to put the failure on the record. */
  onDead?(job: ClaimedJob, error: string): Promise<void>;
}

const applyPayload = z.object({ ledgerId: z.string() });
const recheckPayload = z.object({ customerId: z.string() });
const grantPayload = z.object({ customerId: z.string(), accessGroupId: z.number().int(), version: z.number().int() });
const tagPayload = z.object({ customerId: z.string(), tagId: z.number().int(), version: z.number().int() });
const emailPayload = z.object({ customerId: z.string(), subscriberId: z.number().int(), email: z.string() });

async function guarded<T>(budget: RequestBudget, call: () => Promise<T>, defaultPauseMs: number): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof IntegrationError && error.status === 429) {
      await budget.pause(error.retryAfterMs ?? defaultPauseMs);
    }
    throw error;
  }
}

export function createHandlers(deps: HandlerDeps): Record<string, JobHandler> {
  const { db, catalog, circle, kit } = deps;
  const pauseMs = deps.defaultRateLimitPauseMs ?? 60_000;
  const circleCall = <T>(call: () => Promise<T>) => guarded(deps.circleBudget, call, pauseMs);
  const kitCall = <T>(call: () => Promise<T>) => guarded(deps.kitBudget, call, pauseMs);

  // Each job reads its row, the customer and whether the provider knows them in one statement.
  const grantRow = async (customerId: string, accessGroupId: number) =>
    (
      await db.sql<{ id: string; version: number; memberEmail: string | null; email: string; name: string | null; knownInCircle: boolean }>(
        `SELECT grant_row.id, grant_row.version, grant_row."memberEmail", customer.email, customer.name,
                EXISTS (SELECT 1 FROM "ExternalRef" WHERE "customerId" = customer.id AND provider = 'circle') AS "knownInCircle"
           FROM "AccessGrant" grant_row JOIN "Customer" customer ON customer.id = grant_row."customerId"
          WHERE grant_row."customerId" = $1 AND grant_row."accessGroupId" = $2`,
        [customerId, accessGroupId],
        { prepare: "job_grant_row" },
      )
    )[0];
  const tagRow = async (customerId: string, tagId: number) =>
    (
      await db.sql<{ id: string; version: number; email: string; name: string | null; emailStatus: EmailStatus; knownInKit: boolean }>(
        `SELECT tag.id, tag.version, customer.email, customer.name, customer."emailStatus"::text AS "emailStatus",
                EXISTS (SELECT 1 FROM "ExternalRef" WHERE "customerId" = customer.id AND provider = 'kit') AS "knownInKit"
           FROM "EmailTagState" tag JOIN "Customer" customer ON customer.id = tag."customerId"
          WHERE tag."customerId" = $1 AND tag."tagId" = $2`,
        [customerId, tagId],
        { prepare: "job_tag_row" },
      )
    )[0];
  const linkKitSubscriber = (subscriberId: number, customerId: string) =>
    db.sql(
      `INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId") VALUES (gen_random_uuid(), 'kit', $1, $2)
       ON CONFLICT DO NOTHING RETURNING id`,
      [String(subscriberId), customerId],
      { prepare: "job_link_kit_subscriber" },
    );
  /** Settles the tag row this job's version serves (a newer decision keeps its row); a call that went through is the last sync. */
  const settleTag = (id: string, version: number, state: TagState, lastError: string | null) =>
    db.sql(
      `UPDATE "EmailTagState" SET state = $3::"TagState", "lastError" = $4,
              "syncedAt" = CASE WHEN $4::text IS NULL THEN now() ELSE "syncedAt" END, "updatedAt" = now()
        WHERE id = $1 AND version = $2 RETURNING id`,
      [id, version, state, lastError],
      { prepare: "job_settle_tag" },
    );

  // A dead job leaves its reason on the row it served, unless a newer decision has moved the row on.
  const grantFailed = async (job: ClaimedJob, lastError: string) => {
    const { customerId, accessGroupId, version } = grantPayload.parse(job.payload);
    await db.prisma.accessGrant.updateMany({ where: { customerId, accessGroupId, version }, data: { state: "failed", lastError: lastError.slice(0, 500) } });
  };
  const tagFailed = async (job: ClaimedJob, lastError: string) => {
    const { customerId, tagId, version } = tagPayload.parse(job.payload);
    await db.prisma.emailTagState.updateMany({ where: { customerId, tagId, version }, data: { state: "failed", lastError: lastError.slice(0, 500) } });
  };

  return {
    "lifecycle.apply": {
      async run(job) {
        const { ledgerId } = applyPayload.parse(job.payload);
        const result = await applyWebhookEvent(db, catalog, ledgerId);
        if (result.outcome === "waiting") throw new CustomerNotIdentifiedError();
      },
      async onDead(job, error) {
        const { ledgerId } = applyPayload.parse(job.payload);
        await db.prisma.webhookEvent.update({ where: { id: ledgerId }, data: { outcome: "failed", error, processedAt: new Date() } });
      },
    },

    "lifecycle.recheck": {
      async run(job) {
        const { customerId } = recheckPayload.parse(job.payload);
        await recheckCustomer(db, catalog, customerId);
      },
    },

    "circle.grant": {
      async run(job) {
        const { customerId, accessGroupId, version } = grantPayload.parse(job.payload);
        const grant = await grantRow(customerId, accessGroupId);
        if (!grant || grant.version !== version) return;
        const email = grant.email;
        // Someone we never saw in Circle is most likely new: create first (an address Circle
        // already knows comes back as that member), and search only for known members.
        const existing = grant.knownInCircle ? await circleCall(() => circle.findMemberByEmail(email)) : null;
        let member = existing;
        if (existing) await circleCall(() => circle.addToAccessGroup(accessGroupId, email));
        else member = await circleCall(() => circle.createMember({ email, name: grant.name ?? undefined, accessGroupIds: [accessGroupId] }));
        if (!member) return;
        // A member who has accepted Circle's invitation (now or earlier) can use the group; one
        // who has not, new or invited before, still has an invitation to accept.
        await db.sql(
          `WITH granted AS (
             UPDATE "AccessGrant" SET state = $3::"AccessState", "circleMemberId" = $4, "memberEmail" = $5, "lastError" = NULL, "updatedAt" = now()
              WHERE id = $1 AND version = $2)
           INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId") VALUES (gen_random_uuid(), 'circle', $4, $6)
           ON CONFLICT DO NOTHING RETURNING id`,
          [grant.id, version, member.acceptedInvitation ? "active" : "invited", String(member.id), email, customerId],
          { prepare: "job_grant_done" },
        );
      },
      onDead: grantFailed,
    },

    "circle.revoke": {
      async run(job) {
        const { customerId, accessGroupId, version } = grantPayload.parse(job.payload);
        const grant = await grantRow(customerId, accessGroupId);
        if (!grant || grant.version !== version) return;
        await circleCall(() => circle.removeFromAccessGroup(accessGroupId, grant.memberEmail ?? grant.email));
        await db.sql(
          `UPDATE "AccessGrant" SET state = 'revoked', "lastError" = NULL, "updatedAt" = now() WHERE id = $1 AND version = $2 RETURNING id`,
          [grant.id, version],
          { prepare: "job_revoke_done" },
        );
      },
      async onDead(job, error) {
        await grantFailed(job, `revoke failed: ${error}`);
      },
    },

    "kit.tag": {
      async run(job) {
        const { customerId, tagId, version } = tagPayload.parse(job.payload);
        const tag = await tagRow(customerId, tagId);
        if (!tag || tag.version !== version) return;
        if (tag.emailStatus !== "active") {
          // Tagging would re-subscribe someone who left the list: never do that.
          await settleTag(tag.id, version, "failed", `not tagged: subscriber is ${tag.emailStatus} in Kit`);
          return;
        }
        if (!tag.knownInKit) {
          const subscriber = await kitCall(() => kit.upsertSubscriber({ email: tag.email, firstName: tag.name?.split(" ")[0] }));
          await linkKitSubscriber(subscriber.id, customerId);
        }
        await kitCall(() => kit.tagByEmail(tagId, tag.email));
        await settleTag(tag.id, version, "applied", null);
      },
      onDead: tagFailed,
    },

    "kit.untag": {
      async run(job) {
        const { customerId, tagId, version } = tagPayload.parse(job.payload);
        const tag = await tagRow(customerId, tagId);
        if (!tag || tag.version !== version) return;
        await kitCall(() => kit.untagByEmail(tagId, tag.email));
        await settleTag(tag.id, version, "removed", null);
      },
      onDead: tagFailed,
    },

    "kit.update_email": {
      async run(job) {
        const { customerId, subscriberId, email } = emailPayload.parse(job.payload);
        const customer = await db.prisma.customer.findUnique({ where: { id: customerId }, select: { email: true } });
        // A later change supersedes this one.
        if (!customer || customer.email !== email) return;
        await kitCall(() => kit.updateSubscriberEmail(subscriberId, email));
      },
    },
  };
}
