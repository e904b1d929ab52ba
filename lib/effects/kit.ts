import type { Database } from "../db";
import type { KitClient } from "../integrations/kit";
import { JOB_KINDS } from "../jobs/kinds";
import { IntegrationError } from "../integrations/errors";
import { JobFailure } from "../jobs/errors";
import { dueJobs } from "../jobs/queue";
import type { JobHandlers } from "../jobs/worker";
import { linkKitSubscriber } from "../record/apply";
import { claimKitSubscriber, customerEmail, readTagForJob, recordTagFailed, settleTag } from "../record/store";
import type { ProviderCall } from "./provider-call";

// Kit tags: add or remove one tag, and follow an email change at Stripe.

/** How long a tag job waits, per attempt, for another creating the subscriber (an upsert takes milliseconds). */
const SIBLING_WAIT_MS = 2_000;
const SIBLING_POLL_MS = 25;

/** How far ahead a pending address move counts (its retries wait for backoff: at most ten minutes each). */
const MOVE_HORIZON_MS = 24 * 60 * 60_000;

/**
 * After an email change at Stripe, Kit knows the subscriber under the old address until
 * kit.update_email moves them; until then the new address names no one in Kit (a tag would
 * 404, an untag would miss the tag still on the subscriber). A tag job that finds that move
 * pending makes it first (the same request the move's own job makes, so doing it twice is harmless).
 */
async function movePendingAddress(db: Database, kit: KitClient, call: ProviderCall, customerId: string, email: string): Promise<void> {
  for (const pending of await dueJobs(db, "kit.update_email", { customerId }, MOVE_HORIZON_MS)) {
    const move = JOB_KINDS["kit.update_email"].payload.parse(pending.payload);
    if (move.email === email) await call(() => kit.updateSubscriberEmail(move.subscriberId, email));
  }
}

/**
 * Makes sure the customer has a Kit subscriber, creating it when this job holds the claim; while
 * another job creates it, waits for that one (in this attempt, then in the next). True when the
 * customer's address changed while the subscriber was created: its move is queued.
 */
async function ensureSubscriber(db: Database, kit: KitClient, call: ProviderCall, job: { id: string; customerId: string; firstName?: string }): Promise<boolean> {
  const deadline = Date.now() + SIBLING_WAIT_MS;
  for (;;) {
    const claim = await claimKitSubscriber(db, job.customerId, job.id);
    if (claim.status === "linked") return false;
    if (claim.status === "mine") {
      const subscriber = await call(() => kit.upsertSubscriber({ email: claim.email, firstName: job.firstName }));
      return linkKitSubscriber(db, job.customerId, subscriber.id, claim.email);
    }
    if (Date.now() > deadline) throw new JobFailure("another job is creating this customer's Kit subscriber", { next: "retry", retryAfterMs: SIBLING_POLL_MS, expected: true });
    await new Promise((resolve) => setTimeout(resolve, SIBLING_POLL_MS));
  }
}

/** Run the job again at once: it read an address the customer no longer has, and its next run reads the new one (and moves the subscriber there first). */
const addressChanged = () => new JobFailure("the customer's email changed while this job ran", { next: "retry", retryAfterMs: 0, expected: true });

const isNotFound = (error: unknown) => error instanceof JobFailure && error.cause instanceof IntegrationError && error.cause.status === 404;

export function createKitHandlers(db: Database, kit: KitClient, call: ProviderCall): Pick<JobHandlers, "kit.tag" | "kit.untag" | "kit.update_email"> {
  return {
    "kit.tag": {
      async run({ customerId, tagId, version }, job) {
        const tag = await readTagForJob(db, customerId, tagId);
        if (!tag || tag.version !== version) return;
        if (tag.emailStatus !== "active") {
          // Tagging would re-subscribe someone who left the list: never do that.
          await settleTag(db, tag.id, version, "failed", `not tagged: subscriber is ${tag.emailStatus} in Kit`);
          return;
        }
        // Kit tags only subscribers that exist, and creating one is a request of its own: when
        // several of a customer's tag jobs run at once, one creates the subscriber and the others
        // wait for it, so a purchase with two tags takes three requests.
        if (!tag.knownInKit && (await ensureSubscriber(db, kit, call, { id: job.id, customerId, firstName: tag.name?.split(" ")[0] }))) throw addressChanged();
        await movePendingAddress(db, kit, call, customerId, tag.email);
        try {
          await call(() => kit.tagByEmail(tagId, tag.email));
        } catch (error) {
          // A 404 after the subscriber was moved to a newer address meanwhile (kit.update_email ran).
          if (isNotFound(error) && (await customerEmail(db, customerId)) !== tag.email) throw addressChanged();
          throw error;
        }
        await settleTag(db, tag.id, version, "applied", null);
      },
      onDead: (payload, error) => recordTagFailed(db, payload, error),
    },
    "kit.untag": {
      async run({ customerId, tagId, version }) {
        const tag = await readTagForJob(db, customerId, tagId);
        if (!tag || tag.version !== version) return;
        if (tag.knownInKit) await movePendingAddress(db, kit, call, customerId, tag.email);
        const { known } = await call(() => kit.untagByEmail(tagId, tag.email));
        // An address Kit does not know reads as done: if the subscriber moved to a newer address
        // meanwhile, the tag may still be on them there.
        if (!known && (await customerEmail(db, customerId)) !== tag.email) throw addressChanged();
        await settleTag(db, tag.id, version, "removed", null);
      },
      onDead: (payload, error) => recordTagFailed(db, payload, error),
    },
    "kit.update_email": {
      async run({ customerId, subscriberId, email }) {
        // A later change supersedes this one.
        if ((await customerEmail(db, customerId)) !== email) return;
        await call(() => kit.updateSubscriberEmail(subscriberId, email));
      },
    },
  };
}
