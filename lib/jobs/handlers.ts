import { z } from "zod";
import type { Database } from "../db";
import { IntegrationError } from "../integrations/errors";
import type { CircleClient } from "../integrations/circle";
import type { KitClient } from "../integrations/kit";
import type { PlanCatalog } from "../lifecycle/catalog";
import { applyWebhookEvent, recheckCustomer } from "../lifecycle/engine";
import type { ClaimedJob } from "./queue";
import type { RequestBudget } from "./budget";

// One handler per job kind. Each checks before it acts: a job whose row has moved on to a
// newer version does nothing, and each provider call is idempotent, so running a job twice
// (a retry after a timeout that did succeed, a worker killed mid-job) changes nothing.

class CustomerNotIdentifiedError extends Error {
  readonly retryable = true;
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

  const grantRow = (customerId: string, accessGroupId: number) =>
    db.prisma.accessGrant.findUnique({
      where: { customerId_accessGroupId: { customerId, accessGroupId } },
      include: { customer: { select: { email: true, name: true } } },
    });
  const tagRow = (customerId: string, tagId: number) =>
    db.prisma.emailTagState.findUnique({
      where: { customerId_tagId: { customerId, tagId } },
      include: { customer: { select: { email: true, name: true, emailStatus: true } } },
    });

  async function ensureKitSubscriber(customerId: string, email: string, name: string | null) {
    const ref = await db.prisma.externalRef.findFirst({ where: { customerId, provider: "kit" } });
    if (ref) return;
    const subscriber = await kitCall(() => kit.upsertSubscriber({ email, firstName: name?.split(" ")[0] }));
    await db.prisma.externalRef.createMany({
      data: [{ provider: "kit", externalId: String(subscriber.id), customerId }],
      skipDuplicates: true,
    });
  }

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
        const email = grant.customer.email;
        const known = await db.prisma.externalRef.findFirst({ where: { customerId, provider: "circle" }, select: { externalId: true } });
        // Someone we never saw in Circle is most likely new: create first (an address Circle
        // already knows comes back as that member), and search only for known members.
        const existing = known ? await circleCall(() => circle.findMemberByEmail(email)) : null;
        let member = existing;
        if (existing) await circleCall(() => circle.addToAccessGroup(accessGroupId, email));
        else member = await circleCall(() => circle.createMember({ email, name: grant.customer.name ?? undefined, accessGroupIds: [accessGroupId] }));
        if (!member) return;
        await db.prisma.accessGrant.updateMany({
          where: { id: grant.id, version },
          // A member who existed can use the group now; a new one has an invitation to accept.
          data: { state: existing ? "active" : "invited", circleMemberId: String(member.id), memberEmail: email, lastError: null },
        });
        await db.prisma.externalRef.createMany({
          data: [{ provider: "circle", externalId: String(member.id), customerId }],
          skipDuplicates: true,
        });
      },
      async onDead(job, error) {
        const { customerId, accessGroupId, version } = grantPayload.parse(job.payload);
        await db.prisma.accessGrant.updateMany({
          where: { customerId, accessGroupId, version },
          data: { state: "failed", lastError: error.slice(0, 500) },
        });
      },
    },

    "circle.revoke": {
      async run(job) {
        const { customerId, accessGroupId, version } = grantPayload.parse(job.payload);
        const grant = await grantRow(customerId, accessGroupId);
        if (!grant || grant.version !== version) return;
        const email = grant.memberEmail ?? grant.customer.email;
        await circleCall(() => circle.removeFromAccessGroup(accessGroupId, email));
        await db.prisma.accessGrant.updateMany({ where: { id: grant.id, version }, data: { state: "revoked", lastError: null } });
      },
      async onDead(job, error) {
        const { customerId, accessGroupId, version } = grantPayload.parse(job.payload);
        await db.prisma.accessGrant.updateMany({
          where: { customerId, accessGroupId, version },
          data: { state: "failed", lastError: `revoke failed: ${error}`.slice(0, 500) },
        });
      },
    },

    "kit.tag": {
      async run(job) {
        const { customerId, tagId, version } = tagPayload.parse(job.payload);
        const tag = await tagRow(customerId, tagId);
        if (!tag || tag.version !== version) return;
        if (tag.customer.emailStatus !== "active") {
          // Tagging would re-subscribe someone who left the list: never do that.
          await db.prisma.emailTagState.updateMany({
            where: { id: tag.id, version },
            data: { state: "failed", lastError: `not tagged: subscriber is ${tag.customer.emailStatus} in Kit` },
          });
          return;
        }
        await ensureKitSubscriber(customerId, tag.customer.email, tag.customer.name);
        await kitCall(() => kit.tagByEmail(tagId, tag.customer.email));
        await db.prisma.emailTagState.updateMany({ where: { id: tag.id, version }, data: { state: "applied", syncedAt: new Date(), lastError: null } });
      },
      async onDead(job, error) {
        const { customerId, tagId, version } = tagPayload.parse(job.payload);
        await db.prisma.emailTagState.updateMany({ where: { customerId, tagId, version }, data: { state: "failed", lastError: error.slice(0, 500) } });
      },
    },

    "kit.untag": {
      async run(job) {
        const { customerId, tagId, version } = tagPayload.parse(job.payload);
        const tag = await tagRow(customerId, tagId);
        if (!tag || tag.version !== version) return;
        await kitCall(() => kit.untagByEmail(tagId, tag.customer.email));
        await db.prisma.emailTagState.updateMany({ where: { id: tag.id, version }, data: { state: "removed", syncedAt: new Date(), lastError: null } });
      },
      async onDead(job, error) {
        const { customerId, tagId, version } = tagPayload.parse(job.payload);
        await db.prisma.emailTagState.updateMany({ where: { customerId, tagId, version }, data: { state: "failed", lastError: error.slice(0, 500) } });
      },
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
