import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { constructStripeEvent, stripeWebhookSecrets } from "../../lib/webhooks/stripe";
import { signStripe } from "../../lib/sandbox/stripe-events";

// STRIPE_WEBHOOK_SECRET may list several secrets (`whsec_new,whsec_old`) while one is rolled.
describe("Stripe webhook secrets", () => {
  const payload = JSON.stringify({ id: "evt_1", object: "event", type: "product.created", created: 1, data: { object: {} } });

  it("splits a comma-separated list and drops blanks", () => {
    expect(stripeWebhookSecrets("whsec_new, whsec_old,,")).toEqual(["whsec_new", "whsec_old"]);
    expect(stripeWebhookSecrets("whsec_only")).toEqual(["whsec_only"]);
  });

  it.each([
    ["the new secret", "whsec_new"],
    ["the old secret", "whsec_old"],
  ])("accepts a delivery signed with %s", (_case, signedWith) => {
    const event = constructStripeEvent(payload, signStripe(payload, signedWith), ["whsec_new", "whsec_old"]);
    expect(event.id).toBe("evt_1");
  });

  it("refuses a delivery signed with neither", () => {
    expect(() => constructStripeEvent(payload, signStripe(payload, "whsec_other"), ["whsec_new", "whsec_old"])).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it("refuses everything when no secret is configured", () => {
    expect(() => constructStripeEvent(payload, signStripe(payload, "whsec_new"), [])).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it("passes a non-signature failure through (a signed body that is not JSON)", () => {
    const error = (() => {
      try {
        constructStripeEvent("{not json", signStripe("{not json", "whsec_old"), ["whsec_new", "whsec_old"]);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(Stripe.errors.StripeSignatureVerificationError);
  });
});
