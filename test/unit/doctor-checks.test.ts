import fs from "node:fs";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { checkDkim, checkDmarc, checkEmailDomain, checkSpf } from "../../lib/doctor/dns";
import { checkEnvironment } from "../../lib/doctor/env";
import { evaluateCertificate, signedTestDelivery, type PeerCertificate } from "../../lib/doctor/https";
import { REQUIRED_STRIPE_EVENTS, stripeWebhookUrl } from "../../lib/doctor/stripe";
import { handledStripeTypes } from "../../lib/lifecycle/stripe-events";
import { fakeResolver } from "../helpers/doctor-fakes";

const NOW = new Date("2026-12-01T00:00:00Z");
const DAY = 86_400_000;

const goodEnv = {
  DATABASE_URL: "postgres://app:secret@db.example.com/app",
  UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "upstash-token",
  STRIPE_WEBHOOK_SECRET: "whsec_a",
  KIT_WEBHOOK_SECRET: "kit-secret",
  CIRCLE_API_TOKEN: "circle",
  KIT_API_KEY: "kit",
  CHAT_IDENTITY_SECRET: "chat-identity-secret-0123456789abcdef",
  ADMIN_TOKEN: "admin-token-0123456789abcdefghij",
  SESSION_SECRET: "session-secret-0123456789abcdefghijklmnop",
  METRICS_TOKEN: "metrics-token-0123456789abcdefghij",
  WIDGET_ALLOWED_ORIGINS: "https://www.example.com",
  PUBLIC_URL: "https://support.example.com",
  STRIPE_SECRET_KEY: "rk_live_x",
  EMAIL_DOMAIN: "example.com",
  DKIM_SELECTOR: "kit1",
};

describe("doctor: environment", () => {
  it("passes a complete production environment", () => {
    expect(checkEnvironment(goodEnv)).toMatchObject({ status: "pass" });
  });

  it("lists each missing or invalid variable with its own fix", () => {
    const result = checkEnvironment({ ...goodEnv, DATABASE_URL: undefined, SESSION_SECRET: "short", PUBLIC_URL: "http://support.example.com", DKIM_SELECTOR: " " });
    expect(result.status).toBe("fail");
    const items = Object.fromEntries((result.items ?? []).map((item) => [item.name, item]));
    expect(Object.keys(items).sort()).toEqual(["DATABASE_URL", "DKIM_SELECTOR", "PUBLIC_URL", "SESSION_SECRET"]);
    expect(items.DATABASE_URL?.fix).toContain("PostgreSQL connection string");
    expect(items.SESSION_SECRET?.problem).toBe("must be at least 32 characters");
    expect(items.SESSION_SECRET?.fix).toContain("openssl rand -base64 32");
    expect(items.PUBLIC_URL?.problem).toBe("must be an https:// address");
    expect(items.DKIM_SELECTOR?.fix).toContain("DKIM selector");
    expect(result.fix?.split("\n")).toHaveLength(4);
  });

  it("checks as production even when APP_MODE says demo, and says to unset it", () => {
    const result = checkEnvironment({ ...goodEnv, APP_MODE: "demo", REDIS_URL: undefined, UPSTASH_REDIS_REST_TOKEN: undefined });
    expect(result.items?.map((item) => item.name)).toEqual(["APP_MODE", "REDIS_URL"]);
    expect(result.items?.[0]?.fix).toBe("unset APP_MODE (or set it to production)");
    expect(result.items?.[1]?.fix).toContain("UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN");
  });
});

describe("doctor: Stripe", () => {
  it("requires exactly the event types the lifecycle handles, which README's Production step 5 lists", () => {
    expect(new Set(REQUIRED_STRIPE_EVENTS)).toEqual(handledStripeTypes);
    const readme = fs.readFileSync("README.md", "utf8");
    const named = new Set(
      [...readme.matchAll(/`([a-z_]+(?:\.[a-z_]+)*)\.([a-z_|]+)`/g)].flatMap(([, stem, leaves]) => (leaves ?? "").split("|").map((leaf) => `${stem}.${leaf}`)),
    );
    for (const type of REQUIRED_STRIPE_EVENTS) expect(named, type).toContain(type);
  });

  it("builds the endpoint URL from PUBLIC_URL with or without a trailing slash", () => {
    expect(stripeWebhookUrl("https://support.example.com")).toBe("https://support.example.com/api/webhooks/stripe");
    expect(stripeWebhookUrl("https://support.example.com/")).toBe("https://support.example.com/api/webhooks/stripe");
  });

  it("signs its test delivery as Stripe does, with an event type the product ignores", () => {
    const { payload, signature } = signedTestDelivery("whsec_test", NOW);
    const event = Stripe.webhooks.constructEvent(payload, signature, "whsec_test", Number.MAX_SAFE_INTEGER);
    expect(event.type).toBe("doctor.test");
    expect(event.id).toMatch(/^evt_\w+$/);
    expect(handledStripeTypes.has(event.type)).toBe(false);
    expect(() => Stripe.webhooks.constructEvent(payload, signature, "whsec_other", Number.MAX_SAFE_INTEGER)).toThrow();
  });
});

describe("doctor: certificate", () => {
  const certificate = (overrides: Partial<PeerCertificate>): PeerCertificate => ({
    validTo: new Date(NOW.getTime() + 60 * DAY),
    authorized: true,
    authorizationError: null,
    hostnameError: null,
    issuer: "Let's Encrypt",
    ...overrides,
  });

  it("passes a trusted certificate with more than 14 days left", () => {
    expect(evaluateCertificate(certificate({}), "support.example.com", NOW)).toMatchObject({ status: "pass", detail: expect.stringContaining("60 days") });
  });

  it("fails an expired one, one with 14 days or fewer, an untrusted one and one for another name", () => {
    const expired = evaluateCertificate(certificate({ validTo: new Date(NOW.getTime() - DAY), authorized: false, authorizationError: "CERT_HAS_EXPIRED" }), "h", NOW);
    expect(expired).toMatchObject({ status: "fail", detail: "the certificate for h expired on 2026-11-30" });
    expect(expired.fix).toContain("renew the certificate");
    expect(evaluateCertificate(certificate({ validTo: new Date(NOW.getTime() + 14 * DAY) }), "h", NOW)).toMatchObject({ status: "fail", detail: expect.stringContaining("in 14 days") });
    expect(evaluateCertificate(certificate({ validTo: new Date(NOW.getTime() + 15 * DAY) }), "h", NOW).status).toBe("pass");
    expect(evaluateCertificate(certificate({ authorized: false, authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }), "h", NOW).fix).toContain("full chain");
    expect(evaluateCertificate(certificate({ hostnameError: "Hostname/IP does not match certificate's altnames" }), "h", NOW).fix).toContain("names h");
  });
});

describe("doctor: email DNS", () => {
  const domain = "example.com";

  it("SPF: none, two, and +all fail; one passes", async () => {
    expect((await checkSpf(fakeResolver({}), domain)).fix).toContain(`add one TXT record at ${domain}: \`v=spf1 include:`);
    expect((await checkSpf(fakeResolver({ [domain]: ["v=spf1 include:a ~all", "v=spf1 include:b -all"] }), domain)).fix).toContain("merge them into one");
    expect((await checkSpf(fakeResolver({ [domain]: ["v=spf1 +all"] }), domain)).fix).toContain("v=spf1 ~all");
    expect((await checkSpf(fakeResolver({ [domain]: ["v=spf1 include:spf.kit.example -all"] }), domain)).status).toBe("pass");
  });

  it("DKIM: the selector's record must hold a key", async () => {
    const missing = await checkDkim(fakeResolver({}), domain, "kit1");
    expect(missing).toMatchObject({ status: "fail", detail: "no DKIM record at kit1._domainkey.example.com" });
    expect(missing.fix).toContain("set DKIM_SELECTOR");
    expect((await checkDkim(fakeResolver({ "kit1._domainkey.example.com": ["v=DKIM1; p="] }), domain, "kit1")).detail).toContain("revoked");
    expect((await checkDkim(fakeResolver({ "kit1._domainkey.example.com": ["v=DKIM1; k=rsa; p=MIGf"] }), domain, "kit1")).status).toBe("pass");
  });

  it("DMARC: missing fails, p=none warns, quarantine and reject pass, no policy fails", async () => {
    expect((await checkDmarc(fakeResolver({}), domain)).status).toBe("fail");
    expect((await checkDmarc(fakeResolver({ "_dmarc.example.com": ["v=DMARC1; p=none; rua=mailto:d@example.com"] }), domain)).status).toBe("warn");
    expect((await checkDmarc(fakeResolver({ "_dmarc.example.com": ["v=DMARC1; p=reject"] }), domain)).status).toBe("pass");
    expect((await checkDmarc(fakeResolver({ "_dmarc.example.com": ["v=DMARC1; rua=mailto:d@example.com"] }), domain)).status).toBe("fail");
  });

  it("a failing lookup (not an absent record) fails with a DNS fix", async () => {
    const broken = { resolveTxt: () => Promise.reject(Object.assign(new Error("queryTxt ETIMEOUT example.com"), { code: "ETIMEOUT" })) };
    const results = await checkEmailDomain(broken, domain, "kit1");
    expect(results.map((result) => result.status)).toEqual(["fail", "fail", "fail"]);
    expect(results[0]?.fix).toContain("DNS servers");
  });

  it("skips without EMAIL_DOMAIN (the environment check reports it)", async () => {
    expect((await checkEmailDomain(fakeResolver({}), undefined, undefined)).map((result) => result.status)).toEqual(["skip", "skip", "skip"]);
  });
});
