import { describe, expect, it } from "vitest";
import { findPlan, managedTagIds, parseCatalog, type PlanLookup } from "../../lib/lifecycle/catalog";

const plan = (key: string, o: Record<string, unknown> = {}) => ({ key, name: `Plan ${key}`, stripePriceIds: [`price_${key}`], ...o });
const raw = (o: Record<string, unknown> = {}) => ({ version: 1, plans: [plan("basic")], ...o });

describe("parseCatalog: valid catalogs", () => {
  it("fills defaults for a minimal catalog", () => {
    expect(parseCatalog(raw())).toEqual({
      version: 1,
      paymentGraceDays: 7,
      promotionalTagIds: [],
      plans: [
        {
          key: "basic",
          name: "Plan basic",
          stripePriceIds: ["price_basic"],
          stripePaymentLinkIds: [],
          circleAccessGroupIds: [],
          kitTagIds: { active: [], onboarding: [], pastDue: [], canceled: [], refunded: [] },
        },
      ],
    });
  });

  it("keeps every field of a full catalog", () => {
    const full = {
      version: 1,
      paymentGraceDays: 0,
      promotionalTagIds: [9],
      plans: [
        {
          key: "pro-2",
          name: "Pro",
          stripePriceIds: ["price_A1", "price_A2"],
          stripePaymentLinkIds: ["plink_X"],
          circleAccessGroupIds: [1, 2],
          kitTagIds: { active: [1], onboarding: [2], pastDue: [3], canceled: [4], refunded: [5] },
        },
        { key: "link_only", name: "Link", stripePaymentLinkIds: ["plink_Y"] },
      ],
    };
    const parsed = parseCatalog(full);
    expect(parsed.paymentGraceDays).toBe(0);
    expect(parsed.plans[0]).toEqual(full.plans[0]);
    expect(parsed.plans[1]?.stripePriceIds).toEqual([]);
  });
});

describe("parseCatalog: invalid catalogs are rejected with a readable message", () => {
  it.each<[string, unknown, RegExp]>([
    ["duplicate plan key", raw({ plans: [plan("basic"), plan("basic", { stripePriceIds: ["price_other"] })] }), /plans\.1\.key: duplicate plan key basic/],
    ["price shared by two plans", raw({ plans: [plan("basic"), plan("pro", { stripePriceIds: ["price_basic"] })] }), /plans\.1: price_basic already belongs to plan basic/],
    [
      "payment link shared by two plans",
      raw({ plans: [plan("basic", { stripePaymentLinkIds: ["plink_1"] }), plan("pro", { stripePaymentLinkIds: ["plink_1"] })] }),
      /plans\.1: plink_1 already belongs to plan basic/,
    ],
    ["bad price id", raw({ plans: [plan("basic", { stripePriceIds: ["prod_123"] })] }), /plans\.0\.stripePriceIds\.0: Stripe price ids start with price_/],
    ["bad payment link id", raw({ plans: [plan("basic", { stripePaymentLinkIds: ["https://buy.stripe.com/x"] })] }), /Stripe payment link ids start with plink_/],
    ["no price at all", raw({ plans: [plan("basic", { stripePriceIds: [] })] }), /plans\.0: plan basic has no Stripe price or payment link/],
    ["wrong version", raw({ version: 2 }), /version: .*1/],
    ["missing version", { plans: [plan("basic")] }, /version:/],
    ["no plans", raw({ plans: [] }), /plans: /],
    ["upper-case plan key", raw({ plans: [plan("Basic")] }), /plans\.0\.key: plan keys are lower-case letters, digits, - and _/],
    ["empty plan name", raw({ plans: [plan("basic", { name: "" })] }), /plans\.0\.name:/],
    ["negative Kit tag id", raw({ plans: [plan("basic", { kitTagIds: { active: [-1] } })] }), /plans\.0\.kitTagIds\.active\.0:/],
    ["grace period over 60 days", raw({ paymentGraceDays: 61 }), /paymentGraceDays:/],
    ["not an object", "catalog", /\(root\):/],
  ])("%s", (_name, json, message) => {
    expect(() => parseCatalog(json)).toThrow(message);
  });

  it("names its source and lists every problem", () => {
    const bad = raw({ version: 2, plans: [plan("basic", { stripePriceIds: ["bad"] })] });
    expect(() => parseCatalog(bad, "catalog.json")).toThrow(/^Invalid catalog\.json:\n {2}version: .*\n {2}plans\.0\.stripePriceIds\.0: /);
  });
});

describe("findPlan", () => {
  const catalog = parseCatalog({
    version: 1,
    plans: [
      plan("by-key", { stripePriceIds: ["price_key"] }),
      plan("by-link", { stripePriceIds: ["price_link"], stripePaymentLinkIds: ["plink_link"] }),
      plan("by-price", { stripePriceIds: ["price_price"] }),
      plan("second", { stripePriceIds: ["price_second"] }),
    ],
  });

  it.each<[string, PlanLookup, string | undefined]>([
    ["metadata plan key beats link and price", { planKey: "by-key", paymentLinkId: "plink_link", priceIds: ["price_price"] }, "by-key"],
    ["payment link beats price", { paymentLinkId: "plink_link", priceIds: ["price_price"] }, "by-link"],
    ["price alone", { priceIds: ["price_price"] }, "by-price"],
    ["unknown plan key falls back to the payment link", { planKey: "gone", paymentLinkId: "plink_link", priceIds: ["price_price"] }, "by-link"],
    ["unknown plan key and link fall back to the price", { planKey: "gone", paymentLinkId: "plink_gone", priceIds: ["price_price"] }, "by-price"],
    ["first known price wins", { priceIds: ["price_unknown", "price_second", "price_price"] }, "second"],
    ["nothing known", { planKey: "gone", paymentLinkId: "plink_gone", priceIds: ["price_gone"] }, undefined],
    ["empty lookup", {}, undefined],
    ["null key and link", { planKey: null, paymentLinkId: null }, undefined],
  ])("%s", (_name, lookup, key) => {
    expect(findPlan(catalog, lookup)?.key).toBe(key);
  });
});

describe("managedTagIds", () => {
  it("collects active, past-due, canceled and refunded tags of every plan, not onboarding or promotional ones", () => {
    const catalog = parseCatalog({
      version: 1,
      promotionalTagIds: [90],
      plans: [
        plan("a", { kitTagIds: { active: [1, 2], onboarding: [3], pastDue: [4], canceled: [5], refunded: [6] } }),
        plan("b", { kitTagIds: { active: [2, 7], onboarding: [8], refunded: [6] } }),
      ],
    });
    expect(managedTagIds(catalog)).toEqual(new Set([1, 2, 4, 5, 6, 7]));
  });

  it("is empty for a catalog without tags", () => {
    expect(managedTagIds(parseCatalog(raw())).size).toBe(0);
  });
});
