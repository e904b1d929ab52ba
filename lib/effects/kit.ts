import type { Database } from "../db";
import type { KitClient } from "../integrations/kit";
import type { JobHandlers } from "../jobs/worker";
import { customerEmail, linkExternalId, readTagForJob, recordTagFailed, settleTag } from "../record/store";
import type { ProviderCall } from "./provider-call";

// Kit tags: add or remove one tag, and follow an email change at Stripe.

export function createKitHandlers(db: Database, kit: KitClient, call: ProviderCall): Pick<JobHandlers, "kit.tag" | "kit.untag" | "kit.update_email"> {
  return {
    "kit.tag": {
      async run({ customerId, tagId, version }) {
        const tag = await readTagForJob(db, customerId, tagId);
        if (!tag || tag.version !== version) return;
        if (tag.emailStatus !== "active") {
          // Tagging would re-subscribe someone who left the list: never do that.
          await settleTag(db, tag.id, version, "failed", `not tagged: subscriber is ${tag.emailStatus} in Kit`);
          return;
        }
        if (!tag.knownInKit) {
          const subscriber = await call(() => kit.upsertSubscriber({ email: tag.email, firstName: tag.name?.split(" ")[0] }));
          await linkExternalId(db, customerId, { provider: "kit", externalId: String(subscriber.id) });
        }
        await call(() => kit.tagByEmail(tagId, tag.email));
        await settleTag(db, tag.id, version, "applied", null);
      },
      onDead: (payload, error) => recordTagFailed(db, payload, error),
    },
    "kit.untag": {
      async run({ customerId, tagId, version }) {
        const tag = await readTagForJob(db, customerId, tagId);
        if (!tag || tag.version !== version) return;
        await call(() => kit.untagByEmail(tagId, tag.email));
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
