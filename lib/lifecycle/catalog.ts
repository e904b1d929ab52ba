import { z } from "zod";

// The plan catalog: which Stripe prices buy which plan, and what each plan means in Circle
// (access groups) and Kit (tags per entitlement status). Versioned, validated at start-up.

const kitTagId = z.number().int().positive();
const tagList = z.array(kitTagId).default([]);

const planSchema = z.object({
  key: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "plan keys are lower-case letters, digits, - and _"),
  name: z.string().min(1),
  /** Stripe price ids (price_...) that buy this plan. */
  stripePriceIds: z.array(z.string().regex(/^price_\w+$/, "Stripe price ids start with price_")).default([]),
  /** Stripe Payment Link ids (plink_...) whose checkouts buy this plan. */
  stripePaymentLinkIds: z.array(z.string().regex(/^plink_\w+$/, "Stripe payment link ids start with plink_")).default([]),
  circleAccessGroupIds: z.array(z.number().int().positive()).default([]),
  kitTagIds: z
    .object({
      /** Held while the customer has access (trialing, active, past due within grace, canceled before period end). */
      active: tagList,
      /** Added once, at the first activation, and never removed by us: it starts the onboarding sequence. */
      onboarding: tagList,
      pastDue: tagList,
      canceled: tagList,
      refunded: tagList,
    })
    .prefault({}),
});

export const catalogSchema = z
  .object({
    version: z.literal(1),
    /** Days a customer keeps access after a failed payment while Stripe retries the card. */
    paymentGraceDays: z.number().int().min(0).max(60).default(7),
    /** Marketing tags removed when a customer is refunded or disputes a charge. */
    promotionalTagIds: tagList,
    plans: z.array(planSchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Map<string, string>();
    catalog.plans.forEach((plan, index) => {
      if (catalog.plans.findIndex((other) => other.key === plan.key) !== index) {
        ctx.addIssue({ code: "custom", path: ["plans", index, "key"], message: `duplicate plan key ${plan.key}` });
      }
      for (const id of [...plan.stripePriceIds, ...plan.stripePaymentLinkIds]) {
        const owner = seen.get(id);
        if (owner) ctx.addIssue({ code: "custom", path: ["plans", index], message: `${id} already belongs to plan ${owner}` });
        seen.set(id, plan.key);
      }
      if (plan.stripePriceIds.length + plan.stripePaymentLinkIds.length === 0) {
        ctx.addIssue({ code: "custom", path: ["plans", index], message: `plan ${plan.key} has no Stripe price or payment link` });
      }
    });
  });

export type PlanCatalog = z.infer<typeof catalogSchema>;
export type Plan = PlanCatalog["plans"][number];

export function parseCatalog(json: unknown, source = "plan catalog"): PlanCatalog {
  const result = catalogSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`Invalid ${source}:\n${lines.join("\n")}`);
  }
  return result.data;
}

export interface PlanLookup {
  priceIds?: readonly string[];
  paymentLinkId?: string | null;
  planKey?: string | null;
}

/** The plan a purchase buys: an explicit plan key in metadata, a payment link, or a price. */
export function findPlan(catalog: PlanCatalog, lookup: PlanLookup): Plan | undefined {
  if (lookup.planKey) {
    const byKey = catalog.plans.find((plan) => plan.key === lookup.planKey);
    if (byKey) return byKey;
  }
  if (lookup.paymentLinkId) {
    const byLink = catalog.plans.find((plan) => plan.stripePaymentLinkIds.includes(lookup.paymentLinkId!));
    if (byLink) return byLink;
  }
  for (const priceId of lookup.priceIds ?? []) {
    const byPrice = catalog.plans.find((plan) => plan.stripePriceIds.includes(priceId));
    if (byPrice) return byPrice;
  }
  return undefined;
}

/** Tags our lifecycle adds and removes; onboarding and promotional tags are handled apart. */
export function managedTagIds(catalog: PlanCatalog): Set<number> {
  const ids = new Set<number>();
  for (const plan of catalog.plans) {
    const tags = plan.kitTagIds;
    for (const id of [...tags.active, ...tags.pastDue, ...tags.canceled, ...tags.refunded]) ids.add(id);
  }
  return ids;
}

/** Every Circle access group a plan grants: the groups an override may name. */
export function catalogAccessGroupIds(catalog: PlanCatalog): Set<number> {
  return new Set(catalog.plans.flatMap((plan) => plan.circleAccessGroupIds));
}

/** Every Kit tag the catalog names (plans' tags and promotional ones): the tags an override may name. */
export function catalogTagIds(catalog: PlanCatalog): Set<number> {
  const ids = new Set(catalog.promotionalTagIds);
  for (const plan of catalog.plans) Object.values(plan.kitTagIds).forEach((tags) => tags.forEach((id) => ids.add(id)));
  return ids;
}
