import { parseCatalog, type PlanCatalog } from "../../lib/lifecycle/catalog";
import { deriveFromHistory } from "../../lib/lifecycle/derive";
import type { CanonicalEvent } from "../../lib/lifecycle/events";
import { compareEvents } from "../../lib/lifecycle/fold";
import { planIntents, type HeldGrant, type HeldTag } from "../../lib/lifecycle/intents";
import { normalizeStripeEvent } from "../../lib/lifecycle/stripe-events";
import { CHAOS_PRICES, type Scenario } from "./model";

// Pure. What the chaos run must end with: every customer's events applied once, in provider
// order, by the lifecycle core alone. Each event's point of the history is derived at its own
// time and its intents carried out at once, as a system that received every event in order
// and never failed would; the held rows after the last event, re-derived at the comparison
// time, are the expected record, and the intents carried out are the side effects the
// providers should have seen (Kit tags added, so automations fired).

/** The fakes' ids, pinned: the catalog the workers run and the fakes the driver starts agree on them. */
export const CHAOS_IDS = { communityGroup: 1, masterclassGroup: 2, activeTag: 1, onboardingTag: 2, pastDueTag: 3, canceledTag: 4, refundedTag: 5, promoTag: 6 } as const;

export const CHAOS_CATALOG_JSON = {
  version: 1,
  paymentGraceDays: 7,
  promotionalTagIds: [CHAOS_IDS.promoTag],
  plans: [
    {
      key: "community_monthly",
      name: "Community (monthly)",
      stripePriceIds: [CHAOS_PRICES.community],
      circleAccessGroupIds: [CHAOS_IDS.communityGroup],
      kitTagIds: {
        active: [CHAOS_IDS.activeTag],
        onboarding: [CHAOS_IDS.onboardingTag],
        pastDue: [CHAOS_IDS.pastDueTag],
        canceled: [CHAOS_IDS.canceledTag],
        refunded: [CHAOS_IDS.refundedTag],
      },
    },
    {
      key: "masterclass",
      name: "Masterclass",
      stripePriceIds: [CHAOS_PRICES.masterclass],
      circleAccessGroupIds: [CHAOS_IDS.masterclassGroup],
      kitTagIds: { active: [CHAOS_IDS.activeTag], refunded: [CHAOS_IDS.refundedTag] },
    },
  ],
};

export const chaosCatalog = (): PlanCatalog => parseCatalog(CHAOS_CATALOG_JSON, "chaos catalog");

/** A grant row reads held (pending, invited or active: access given or on its way) or revoked. */
export type GrantOutcome = "held" | "revoked";
export type TagOutcome = "applied" | "removed";

export interface ExpectedCustomer {
  index: number;
  stripeCustomerId: string;
  email: string;
  /** Every address the customer had: provider objects made under an older one are theirs too. */
  emails: string[];
  /** Sorted by source id. */
  entitlements: Array<{ sourceId: string; planKey: string; status: string }>;
  grants: Map<number, GrantOutcome>;
  tags: Map<number, TagOutcome>;
  /** Times each Kit tag went on in the in-order replay: more in Kit is an automation fired twice. */
  tagAdds: Map<number, number>;
}

function apply(intents: ReturnType<typeof planIntents>, grants: Map<number, HeldGrant>, tags: Map<number, HeldTag>, tagAdds: Map<number, number>) {
  for (const intent of intents) {
    if (intent.kind === "circle.grant") grants.set(intent.accessGroupId, { accessGroupId: intent.accessGroupId, state: "active", version: intent.version });
    else if (intent.kind === "circle.revoke") grants.set(intent.accessGroupId, { accessGroupId: intent.accessGroupId, state: "revoked", version: intent.version });
    else if (intent.kind === "kit.tag") {
      tags.set(intent.tagId, { tagId: intent.tagId, state: "applied", version: intent.version });
      tagAdds.set(intent.tagId, (tagAdds.get(intent.tagId) ?? 0) + 1);
    } else tags.set(intent.tagId, { tagId: intent.tagId, state: "removed", version: intent.version });
  }
}

/** One customer's expected end state: `events` in any order (they are put in provider order), derived at `now`. */
export function expectCustomer(events: readonly CanonicalEvent[], catalog: PlanCatalog, now: Date): Omit<ExpectedCustomer, "index" | "stripeCustomerId" | "emails"> {
  const inOrder = [...events].sort(compareEvents);
  const grants = new Map<number, HeldGrant>();
  const tags = new Map<number, HeldTag>();
  const tagAdds = new Map<number, number>();
  for (let end = 1; end <= inOrder.length; end++) {
    const { desired } = deriveFromHistory(inOrder.slice(0, end), catalog, inOrder[end - 1]!.at);
    apply(planIntents({ grants: [...grants.values()], tags: [...tags.values()] }, desired), grants, tags, tagAdds);
  }
  const { facts, desired } = deriveFromHistory(inOrder, catalog, now);
  apply(planIntents({ grants: [...grants.values()], tags: [...tags.values()] }, desired), grants, tags, tagAdds);
  return {
    email: facts.email ?? "",
    entitlements: desired.entitlements.map(({ sourceId, planKey, status }) => ({ sourceId, planKey, status })).sort((a, b) => a.sourceId.localeCompare(b.sourceId)),
    grants: new Map([...grants].map(([id, grant]) => [id, grant.state === "revoked" ? "revoked" : "held"])),
    tags: new Map([...tags].map(([id, tag]) => [id, tag.state === "applied" ? "applied" : "removed"])),
    tagAdds,
  };
}

/** Every customer's expected end state, derived at `now`. */
export function expectScenario(scenario: Scenario, catalog: PlanCatalog, now: Date): ExpectedCustomer[] {
  const histories = scenario.customers.map((): CanonicalEvent[] => []);
  for (const { customer, envelope } of scenario.events) {
    const normalized = normalizeStripeEvent(envelope);
    if (!normalized.ok) throw new Error(`chaos model made an event the normalizer refuses (${envelope.type}): ${normalized.error}`);
    histories[customer]!.push(normalized.event);
  }
  return scenario.customers.map((customer) => ({
    index: customer.index,
    stripeCustomerId: customer.stripeCustomerId,
    emails: customer.emails,
    ...expectCustomer(histories[customer.index]!, catalog, now),
  }));
}
