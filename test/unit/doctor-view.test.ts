import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { doctorView, isDemoEnv, redact, REDACTED, secretValuesOf } from "../../lib/admin/doctor-view";
import { fail, pass, skip, warn, type CheckResult } from "../../lib/doctor/types";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";

// The console's launch doctor view: what each check shows, the summary line, the demo's
// stand-ins marked, and no secret value of the environment in any text it renders.

const RUN = { checkedAt: new Date("2026-12-01T00:00:00Z"), tookMs: 42 };

const productionEnv = {
  DATABASE_URL: "postgres://app:db%2Fpass%40word@db.example.com/app",
  STRIPE_SECRET_KEY: "rk_live_stripekey0123",
  STRIPE_WEBHOOK_SECRET: "whsec_newsecret01,whsec_oldsecret02",
  ADMIN_TOKEN: "admin-token-0123456789abcdefghij",
  CIRCLE_API_TOKEN: "circle-token-abc",
  PUBLIC_URL: "https://support.example.com",
  EMAIL_DOMAIN: "example.com",
  METRICS_TOKEN: "abc",
};

describe("secretValuesOf", () => {
  it("takes every secret variable, each part of a rolled one and each URL's password, and nothing public", () => {
    const values = secretValuesOf(productionEnv);
    expect(values).toEqual(
      expect.arrayContaining([
        "rk_live_stripekey0123",
        "whsec_newsecret01,whsec_oldsecret02",
        "whsec_newsecret01",
        "whsec_oldsecret02",
        "admin-token-0123456789abcdefghij",
        "circle-token-abc",
        "db/pass@word",
      ]),
    );
    expect(values).not.toContain("https://support.example.com");
    expect(values).not.toContain("example.com");
    // Too short to be a credential anyone sets; redacting it would garble every "abc".
    expect(values).not.toContain("abc");
  });

  it("orders longer values first, so a secret containing another is replaced whole", () => {
    const values = secretValuesOf(productionEnv);
    expect(values.indexOf("whsec_newsecret01,whsec_oldsecret02")).toBeLessThan(values.indexOf("whsec_newsecret01"));
    expect(redact("was whsec_newsecret01,whsec_oldsecret02.", values)).toBe(`was ${REDACTED}.`);
  });
});

describe("redact", () => {
  it.each([
    ["as is", "Stripe said: Invalid API Key provided: rk_live_stripekey0123", `Stripe said: Invalid API Key provided: ${REDACTED}`],
    ["URL-encoded", "GET /x?key=db%2Fpass%40word failed", `GET /x?key=${REDACTED} failed`],
    ["twice", "circle-token-abc and circle-token-abc", `${REDACTED} and ${REDACTED}`],
    ["absent", "no TLS connection to support.example.com:443", "no TLS connection to support.example.com:443"],
  ])("replaces a secret %s", (_case, text, expected) => {
    expect(redact(text, secretValuesOf(productionEnv))).toBe(expected);
  });

  it("never leaves a secret in the text, wherever it is planted", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_-]{6,40}$/);
    fc.assert(
      fc.property(token, fc.string(), fc.string(), (secret, before, after) => {
        const text = `${before}${secret}${after}${encodeURIComponent(secret)}`;
        expect(redact(text, secretValuesOf({ KIT_API_KEY: secret }))).not.toContain(secret);
      }),
    );
  });
});

describe("isDemoEnv", () => {
  it.each([
    [{}, true],
    [{ APP_MODE: "demo", DATABASE_URL: "postgres://x@y/z" }, true],
    [{ DATABASE_URL: "postgres://x@y/z" }, false],
    [{ APP_MODE: "production" }, false],
  ])("%j -> %s", (env, demo) => {
    expect(isDemoEnv(env)).toBe(demo);
  });
});

const results: CheckResult[] = [
  pass("env", "Environment complete", "every production variable is set"),
  fail("stripe.key", "Stripe secret key valid", "Stripe refused the key (401): Invalid API Key provided: rk_live_stripekey0123", "STRIPE_SECRET_KEY is wrong\nset a new one"),
  skip("stripe.endpoint", "Stripe webhook endpoint", "needs a working STRIPE_SECRET_KEY"),
  warn("email.dmarc", "DMARC policy", "p=none", "change the policy to p=quarantine"),
  pass("circle", "Circle token valid", "all 2 access groups exist"),
  pass("kit", "Kit key valid", "all 4 tags exist"),
];

describe("doctorView", () => {
  it("shows each check's result, requirement and fix, with the secret in a detail redacted", () => {
    const view = doctorView(results, productionEnv, RUN);
    expect(view.rows.map((row) => [row.id, row.statusLabel, row.requirement])).toEqual([
      ["env", "Pass", "must-have"],
      ["stripe.key", "Fail", "must-have"],
      ["stripe.endpoint", "Skipped", "must-have"],
      ["email.dmarc", "Warning", "recommended"],
      ["circle", "Pass", "must-have"],
      ["kit", "Pass", "must-have"],
    ]);
    const key = view.rows[1]!;
    expect(key.detail).toBe(`Stripe refused the key (401): Invalid API Key provided: ${REDACTED}`);
    expect(key.fix).toEqual(["STRIPE_SECRET_KEY is wrong", "set a new one"]);
    expect(view.rows[3]!.fix).toEqual(["change the policy to p=quarantine"]);
    expect(view.rows[0]!.fix).toEqual([]);
    expect(JSON.stringify(view)).not.toContain("rk_live_stripekey0123");
    expect(view).toMatchObject({ checkedAt: "2026-12-01T00:00:00.000Z", tookMs: 42, demo: false });
  });

  it("says not ready while a must-have fails, and ready (naming the recommendations) once none does", () => {
    const notReady = doctorView(results, productionEnv, RUN);
    expect(notReady.ready).toBe(false);
    expect(notReady.headline).toBe("Not ready to go live: 1 must-have failing; 1 recommendation to look at. Fix it and run the checks again.");
    expect(notReady.counts).toEqual({ pass: 3, fail: 1, warn: 1, skip: 1 });

    const ready = doctorView(results.filter((result) => result.status !== "fail"), productionEnv, RUN);
    expect(ready.ready).toBe(true);
    expect(ready.headline).toBe("Ready to go live: every must-have passes; 1 recommendation to look at.");
    expect(doctorView([pass("env", "Environment", "ok")], productionEnv, RUN).headline).toBe("Ready to go live: every must-have passes.");
  });

  it("marks Circle and Kit as sandboxed when the demo's stand-ins answered, and only then", () => {
    const demo = doctorView(results, { CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN, KIT_API_KEY: FAKE_KIT_API_KEY }, RUN);
    expect(demo.demo).toBe(true);
    expect(demo.rows.filter((row) => row.sandboxed).map((row) => row.id)).toEqual(["circle", "kit"]);
    expect(demo.rows.find((row) => row.id === "circle")!.sandboxed).toMatch(/stand-in for Circle/);

    const realCircle = doctorView(results, { CIRCLE_API_TOKEN: "circle-real-token", KIT_API_KEY: FAKE_KIT_API_KEY }, RUN);
    expect(realCircle.rows.filter((row) => row.sandboxed).map((row) => row.id)).toEqual(["kit"]);
    // Production never sandboxes, whatever the token says.
    const production = doctorView(results, { APP_MODE: "production", CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN }, RUN);
    expect(production.rows.some((row) => row.sandboxed)).toBe(false);
  });

  it("redacts secrets in items too", () => {
    const withItems = fail("env", "Environment", "1 variable invalid", "fix ADMIN_TOKEN", [{ name: "ADMIN_TOKEN", problem: "admin-token-0123456789abcdefghij is too weak", fix: "generate one" }]);
    const [row] = doctorView([withItems], productionEnv, RUN).rows;
    expect(row!.items).toEqual([{ name: "ADMIN_TOKEN", problem: `${REDACTED} is too weak`, fix: "generate one" }]);
  });
});
