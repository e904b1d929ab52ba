import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { doctorExitCode, doctorReport, formatChecklist, REQUIRED_STRIPE_EVENTS, runDoctor, type CheckResult, type DoctorDeps } from "../../lib/doctor";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { createFakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit } from "../../lib/sandbox/kit";
import { FakeApp, FakeStripe, fakeResolver, selfSignedCertificate, type Certificate } from "../helpers/doctor-fakes";

// The launch doctor against a good setup made of fakes (Stripe, the deployed app over HTTPS with
// a self-signed certificate, Circle, Kit, DNS), then against each fault, each with its fix.

const STRIPE_KEY = "rk_live_doctor0123456789";
const WEBHOOK_SECRET = "whsec_doctor_test_secret_0123456789";
const CIRCLE_TOKEN = "circle-doctor-token";
const KIT_KEY = "kit-doctor-key";
const DOMAIN = "mail.example.com";
const SELECTOR = "kit1";

const catalog = parseCatalog({
  version: 1,
  promotionalTagIds: [23],
  plans: [
    { key: "pro", name: "Pro", stripePriceIds: ["price_pro"], circleAccessGroupIds: [11], kitTagIds: { active: [21], onboarding: [22] } },
    { key: "team", name: "Team", stripePriceIds: ["price_team"], circleAccessGroupIds: [11, 12], kitTagIds: { active: [21], canceled: [24] } },
  ],
});

const stripe = new FakeStripe(STRIPE_KEY);
const circle = createFakeCircle({ token: CIRCLE_TOKEN });
const kit = createFakeKit({ apiKey: KIT_KEY });
let certificate: Certificate;
let app: FakeApp;
let stripeUrl = "";
let circleUrl = "";
let kitUrl = "";
let publicUrl = "";

const goodRecords = () => ({
  [DOMAIN]: ["google-site-verification=abc", "v=spf1 include:spf.kit.example ~all"],
  [`${SELECTOR}._domainkey.${DOMAIN}`]: [`v=DKIM1; k=rsa; p=${"A".repeat(300)}`],
  [`_dmarc.${DOMAIN}`]: ["v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"],
});
let resolver = fakeResolver(goodRecords());

function productionEnv(): Record<string, string> {
  return {
    DATABASE_URL: "postgres://app:secret@db.example.com:5432/app",
    REDIS_URL: "redis://redis.example.com:6379",
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    KIT_WEBHOOK_SECRET: "kit-webhook-secret-0123456789",
    CIRCLE_API_TOKEN: CIRCLE_TOKEN,
    CIRCLE_API_URL: circleUrl,
    KIT_API_KEY: KIT_KEY,
    KIT_API_URL: kitUrl,
    CHAT_IDENTITY_SECRET: "chat-identity-secret-0123456789abcdef",
    ADMIN_TOKEN: "admin-token-0123456789abcdefghij",
    SESSION_SECRET: "session-secret-0123456789abcdefghijklmnop",
    // Items 1 and 2 of the launch issue may make these required in production.
    METRICS_TOKEN: "metrics-token-0123456789abcdefghij",
    WIDGET_ALLOWED_ORIGINS: "https://www.example.com",
    PUBLIC_URL: publicUrl,
    STRIPE_SECRET_KEY: STRIPE_KEY,
    STRIPE_API_URL: stripeUrl,
    EMAIL_DOMAIN: DOMAIN,
    DKIM_SELECTOR: SELECTOR,
  };
}

const doctor = (overrides: Partial<DoctorDeps> & { env?: Record<string, string | undefined> } = {}) =>
  runDoctor({ loadCatalog: () => catalog, resolver, ca: certificate.cert, timeoutMs: 5_000, ...overrides, env: overrides.env ?? productionEnv() });

const byId = (results: CheckResult[], id: string) => {
  const result = results.find((candidate) => candidate.id === id);
  if (!result) throw new Error(`no check ${id} in ${results.map((r) => r.id).join(", ")}`);
  return result;
};
const failing = (results: CheckResult[]) => results.filter((result) => result.status === "fail").map((result) => result.id);

beforeAll(async () => {
  certificate = selfSignedCertificate(90);
  app = new FakeApp(certificate, WEBHOOK_SECRET);
  [stripeUrl, circleUrl, kitUrl, publicUrl] = await Promise.all([stripe.start(), circle.start().then((s) => s.url), kit.start().then((s) => s.url), app.start()]);
});

afterAll(async () => {
  await Promise.all([stripe.stop(), circle.stop(), kit.stop(), app.stop()]);
});

beforeEach(() => {
  stripe.endpoints = [{ id: "we_good", url: `${publicUrl}/api/webhooks/stripe`, enabled_events: [...REQUIRED_STRIPE_EVENTS], status: "enabled" }];
  stripe.livemode = true;
  circle.reset();
  circle.addAccessGroup("Pro members", 11);
  circle.addAccessGroup("Team members", 12);
  kit.reset();
  for (const [id, name] of [[21, "active"], [22, "onboarding"], [23, "promo"], [24, "canceled"]] as const) kit.addTag(name, id);
  resolver = fakeResolver(goodRecords());
  app.webhookSecret = WEBHOOK_SECRET;
  app.deliveries.length = 0;
});

describe("launch doctor", () => {
  it("passes every check against a good setup, and exits 0", async () => {
    const results = await doctor();
    expect(results.filter((result) => result.status !== "pass").map((result) => [result.id, result.detail])).toEqual([]);
    expect(results.map((result) => result.id)).toEqual([
      "env",
      "catalog",
      "stripe.key",
      "stripe.endpoint",
      "stripe.delivery",
      "circle",
      "kit",
      "https.reachable",
      "https.certificate",
      "email.spf",
      "email.dkim",
      "email.dmarc",
    ]);
    expect(doctorExitCode(results)).toBe(0);
    // The test delivery was signed correctly and of a type the product ignores.
    expect(app.deliveries).toEqual([{ status: 200, type: "doctor.test" }]);
    expect(formatChecklist(results)).toContain("Ready to launch.");
  });

  it("a bad Stripe key: Stripe answers 401, the key check fails with its fix", async () => {
    const results = await doctor({ env: { ...productionEnv(), STRIPE_SECRET_KEY: "rk_live_revoked" } });
    const key = byId(results, "stripe.key");
    expect(key.status).toBe("fail");
    expect(key.detail).toContain("401");
    expect(key.fix).toMatch(/STRIPE_SECRET_KEY is wrong, revoked or expired: create a new restricted key/);
    expect(byId(results, "stripe.endpoint").status).toBe("skip");
    expect(failing(results)).toEqual(["stripe.key"]);
    expect(doctorExitCode(results)).toBe(1);
  });

  it("an endpoint missing an event type fails, naming the type and how to add it", async () => {
    stripe.endpoints = [{ id: "we_partial", url: `${publicUrl}/api/webhooks/stripe`, enabled_events: REQUIRED_STRIPE_EVENTS.filter((type) => type !== "invoice.payment_failed"), status: "enabled" }];
    const results = await doctor();
    const endpoint = byId(results, "stripe.endpoint");
    expect(endpoint.status).toBe("fail");
    expect(endpoint.detail).toContain("does not send invoice.payment_failed");
    expect(endpoint.fix).toContain("add the missing event type to we_partial");
    expect(endpoint.fix).toContain("invoice.payment_failed");
    expect(endpoint.items?.map((item) => item.name)).toEqual(["invoice.payment_failed"]);
    expect(failing(results)).toEqual(["stripe.endpoint"]);
    expect(doctorExitCode(results)).toBe(1);
  });

  it("no endpoint for PUBLIC_URL, or a disabled one, fails with the URL and event list to register", async () => {
    stripe.endpoints = [{ id: "we_other", url: "https://elsewhere.example.com/api/webhooks/stripe", enabled_events: ["*"], status: "enabled" }];
    const absent = byId(await doctor(), "stripe.endpoint");
    expect(absent.status).toBe("fail");
    expect(absent.fix).toContain(`add ${publicUrl}/api/webhooks/stripe with these events: ${REQUIRED_STRIPE_EVENTS.join(", ")}`);

    stripe.endpoints = [{ id: "we_off", url: `${publicUrl}/api/webhooks/stripe/`, enabled_events: ["*"], status: "disabled" }];
    const disabled = byId(await doctor(), "stripe.endpoint");
    expect(disabled.status).toBe("fail");
    expect(disabled.fix).toContain("enable it in Stripe");
  });

  it("a test-mode key works but warns, without failing the run", async () => {
    stripe.livemode = false;
    const results = await doctor();
    expect(byId(results, "stripe.key")).toMatchObject({ status: "warn" });
    expect(doctorExitCode(results)).toBe(0);
  });

  it("a deployment verifying with another secret refuses the signed delivery: the fix says to copy the secret", async () => {
    app.webhookSecret = "whsec_some_other_secret";
    const results = await doctor();
    const delivery = byId(results, "stripe.delivery");
    expect(delivery.status).toBe("fail");
    expect(delivery.detail).toContain("answered 400");
    expect(delivery.fix).toContain("copy the endpoint's signing secret");
    expect(failing(results)).toEqual(["stripe.delivery"]);
  });

  it("a missing Kit tag fails, naming the tag", async () => {
    kit.reset();
    for (const [id, name] of [[21, "active"], [22, "onboarding"], [24, "canceled"]] as const) kit.addTag(name, id);
    const results = await doctor();
    const check = byId(results, "kit");
    expect(check.status).toBe("fail");
    expect(check.detail).toBe("tag 23 named in the plan catalog does not exist in Kit");
    expect(check.fix).toContain("create the tag in Kit");
    expect(failing(results)).toEqual(["kit"]);
    expect(doctorExitCode(results)).toBe(1);
  });

  it("a bad Kit key and a bad Circle token fail with their fixes", async () => {
    const results = await doctor({ env: { ...productionEnv(), KIT_API_KEY: "wrong", CIRCLE_API_TOKEN: "wrong" } });
    expect(byId(results, "kit")).toMatchObject({ status: "fail", fix: expect.stringContaining("KIT_API_KEY is wrong or revoked") });
    expect(byId(results, "circle")).toMatchObject({ status: "fail", fix: expect.stringContaining("CIRCLE_API_TOKEN is wrong or revoked") });
  });

  it("a missing Circle access group fails, naming it", async () => {
    circle.reset();
    circle.addAccessGroup("Pro members", 11);
    const check = byId(await doctor(), "circle");
    expect(check.status).toBe("fail");
    expect(check.detail).toBe("access group 12 named in the plan catalog does not exist in Circle");
    expect(check.fix).toContain("create the access group in Circle");
  });

  it("a certificate expiring within 14 days fails with the renewal fix", async () => {
    const shortLived = selfSignedCertificate(5);
    const short = new FakeApp(shortLived, WEBHOOK_SECRET);
    const url = await short.start();
    try {
      stripe.endpoints = [{ id: "we_short", url: `${url}/api/webhooks/stripe`, enabled_events: ["*"], status: "enabled" }];
      const results = await doctor({ ca: shortLived.cert, env: { ...productionEnv(), PUBLIC_URL: url } });
      const check = byId(results, "https.certificate");
      expect(check.status).toBe("fail");
      expect(check.detail).toMatch(/expires on \d{4}-\d{2}-\d{2}, in [45] days/);
      expect(check.fix).toContain("renew the certificate");
      expect(failing(results)).toEqual(["https.certificate"]);
      expect(doctorExitCode(results)).toBe(1);
    } finally {
      await short.stop();
    }
  });

  it("an expired certificate fails (the clock moved past its end)", async () => {
    const results = await doctor({ now: () => new Date(Date.now() + 100 * 86_400_000) });
    const check = byId(results, "https.certificate");
    expect(check.status).toBe("fail");
    expect(check.detail).toMatch(/expired on/);
    expect(check.fix).toContain("renew the certificate");
  });

  it("an untrusted (self-signed) certificate fails", async () => {
    const results = await doctor({ ca: undefined });
    const check = byId(results, "https.certificate");
    expect(check.status).toBe("fail");
    expect(check.detail).toContain("not trusted");
    expect(check.fix).toContain("public certificate authority");
  });

  it("PUBLIC_URL not answering fails the reachability check", async () => {
    const results = await doctor({ env: { ...productionEnv(), PUBLIC_URL: "https://127.0.0.1:1" } });
    expect(byId(results, "https.reachable")).toMatchObject({ status: "fail", fix: expect.stringContaining("serves HTTPS on port 1") });
    expect(byId(results, "https.certificate").status).toBe("skip");
    expect(byId(results, "stripe.delivery").status).toBe("fail");
  });

  it("a missing DMARC record fails with the record to add; p=none only warns", async () => {
    delete resolver.records[`_dmarc.${DOMAIN}`];
    const results = await doctor();
    const check = byId(results, "email.dmarc");
    expect(check.status).toBe("fail");
    expect(check.detail).toBe(`no v=DMARC1 TXT record at _dmarc.${DOMAIN}`);
    expect(check.fix).toContain(`add a TXT record at _dmarc.${DOMAIN}: \`v=DMARC1; p=quarantine;`);
    expect(failing(results)).toEqual(["email.dmarc"]);
    expect(doctorExitCode(results)).toBe(1);

    // The organisational domain's record covers the subdomain.
    resolver.records["_dmarc.example.com"] = ["v=DMARC1; p=none"];
    const monitored = await doctor();
    expect(byId(monitored, "email.dmarc")).toMatchObject({ status: "warn", fix: expect.stringContaining("p=quarantine") });
    expect(doctorExitCode(monitored)).toBe(0);
  });

  it("--json: the report's shape", async () => {
    const report = doctorReport(await doctor({ env: { ...productionEnv(), STRIPE_SECRET_KEY: "rk_live_revoked" } }));
    const parsed = JSON.parse(JSON.stringify(report)) as typeof report;
    expect(parsed.ok).toBe(false);
    expect(parsed.summary).toEqual({ pass: 10, warn: 0, fail: 1, skip: 1 });
    for (const check of parsed.checks) {
      expect(Object.keys(check).every((key) => ["id", "title", "status", "detail", "fix", "items"].includes(key))).toBe(true);
      expect(["pass", "warn", "fail", "skip"]).toContain(check.status);
      expect(typeof check.title).toBe("string");
      if (check.status === "fail") expect(check.fix).toEqual(expect.any(String));
    }
  });
});

describe("npm run doctor", () => {
  const run = promisify(execFile);
  const tsx = path.resolve("node_modules/.bin/tsx");

  it("exits 1 when a must-have fails, and --json prints the report", async () => {
    // Nothing network-bound: no PUBLIC_URL, no credentials, no email domain.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production" as const, APP_MODE: "production", LOG_LEVEL: "silent" };
    const failure = await run(tsx, ["scripts/doctor.ts", "--json"], { env }).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const report = JSON.parse(failure?.stdout ?? "") as { ok: boolean; checks: CheckResult[] };
    expect(report.ok).toBe(false);
    const environment = report.checks.find((check) => check.id === "env");
    expect(environment?.status).toBe("fail");
    expect(environment?.items?.map((item) => item.name)).toEqual(expect.arrayContaining(["DATABASE_URL", "STRIPE_SECRET_KEY", "PUBLIC_URL", "EMAIL_DOMAIN"]));

    const text = await run(tsx, ["scripts/doctor.ts"], { env }).catch((error: { stdout: string }) => error);
    expect(text.stdout).toContain("[FAIL] Environment complete and well formed for production");
    expect(text.stdout).toContain("Fix: DATABASE_URL: set it to your PostgreSQL connection string");
  });
});
