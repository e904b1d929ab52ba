import { describe, expect, it } from "vitest";
import { ConfigError, DRAIN_JOB_MS, isProduction, parseEnv } from "../../lib/config";

const DB = "postgresql://app:secret@db.internal:5432/entitled";

const secrets = {
  STRIPE_WEBHOOK_SECRET: "whsec_test",
  KIT_WEBHOOK_SECRET: "kit_secret",
  CIRCLE_API_TOKEN: "circle_token",
  KIT_API_KEY: "kit_key",
  CHAT_IDENTITY_SECRET: "chat_secret",
  ADMIN_TOKEN: "a".repeat(24),
  SESSION_SECRET: "s".repeat(32),
  REDIS_URL: "redis://cache.internal:6379",
};

const REQUIRED = ["DATABASE_URL", ...Object.keys(secrets)];

function configError(source: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("parseEnv accepted the environment");
}

describe("parseEnv: defaults", () => {
  it("an empty environment is a demo with every default", () => {
    expect(parseEnv({})).toEqual({
      NODE_ENV: "development",
      APP_MODE: "demo",
      DATA_DIR: ".data",
      PORT: 3000,
      INGEST_PORT: 3001,
      LOG_LEVEL: "info",
      CIRCLE_API_URL: "https://app.circle.so/api/admin/v2",
      KIT_API_URL: "https://api.kit.com",
      OPENAI_MODEL: "gpt-4o-mini",
      WORKER_CONCURRENCY: 4,
      WORKER_POLL_MS: 100,
      BENCH_ROUTES: "0",
      QSTASH_URL: "https://qstash.upstash.io",
      DRAIN_BUDGET_MS: 25_000,
      WIDGET_ALLOWED_ORIGINS: [],
      READY_MAX_HEARTBEAT_AGE_MS: 90_000,
      READY_MAX_QUEUE_AGE_MS: 300_000,
      TRUSTED_PROXY_HOPS: 1,
      CIRCLE_PLAN: "business",
      RECONCILE_INTERVAL_MINUTES: 360,
      RECONCILE_SHARE: 0.5,
      JOB_RETENTION_DAYS: 30,
    });
  });

  it.each([
    ["PORT", "8080", 8080],
    ["INGEST_PORT", "9000", 9000],
    ["WORKER_CONCURRENCY", "64", 64],
    ["WORKER_POLL_MS", "10", 10],
    ["NODE_ENV", "test", "test"],
    ["LOG_LEVEL", "debug", "debug"],
    ["OPENAI_BASE_URL", "http://localhost:11434/v1", "http://localhost:11434/v1"],
    ["REDIS_URL", "redis://cache:6379", "redis://cache:6379"],
    ["RUN_WORKER", "1", "1"],
    ["DRAIN_BUDGET_MS", "40000", 40_000],
    ["QSTASH_URL", "https://qstash-us-east-1.upstash.io", "https://qstash-us-east-1.upstash.io"],
    ["TRUSTED_PROXY_HOPS", "0", 0],
    ["TRUSTED_PROXY_HOPS", "2", 2],
  ])("%s=%s is read as %j", (key, value, expected) => {
    expect(parseEnv({ [key]: value })).toEqual(expect.objectContaining({ [key]: expected }));
  });

  it.each(["-1", "one", "1.5", "11"])("refuses TRUSTED_PROXY_HOPS=%s", (value) => {
    expect(configError({ TRUSTED_PROXY_HOPS: value }).message).toContain("TRUSTED_PROXY_HOPS");
  });
});

describe("parseEnv: APP_MODE", () => {
  it.each([
    ["no database, no mode -> demo", {}, "demo"],
    ["database set, no mode -> production", { DATABASE_URL: DB, ...secrets }, "production"],
    ["database set, explicit demo", { DATABASE_URL: DB, APP_MODE: "demo" }, "demo"],
    ["no database, explicit production", { ...secrets, DATABASE_URL: DB, APP_MODE: "production" }, "production"],
    ["blank database, no mode -> demo", { DATABASE_URL: "   " }, "demo"],
  ])("%s", (_name, source: Record<string, string>, mode) => {
    const env = parseEnv(source);
    expect(env.APP_MODE).toBe(mode);
    expect(isProduction(env)).toBe(mode === "production");
  });

  it("production does not require secrets in demo mode", () => {
    expect(() => parseEnv({ DATABASE_URL: DB, APP_MODE: "demo" })).not.toThrow();
  });

  it("rejects an unknown mode", () => {
    expect(configError({ APP_MODE: "staging" }).message).toMatch(/APP_MODE:/);
  });
});

describe("parseEnv: production requires its secrets", () => {
  it("lists every missing variable when nothing is set", () => {
    const error = configError({ APP_MODE: "production" });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message.startsWith("Invalid environment:\n")).toBe(true);
    for (const key of REQUIRED) expect(error.message).toContain(`  ${key}: is required in production`);
  });

  it("DATABASE_URL alone switches to production and lists the seven missing secrets and the store", () => {
    const error = configError({ DATABASE_URL: DB });
    const missing = [...error.message.matchAll(/^ {2}(\w+): is required in production$/gm)].map((match) => match[1]);
    expect(missing).toEqual(Object.keys(secrets));
  });

  it.each(Object.keys(secrets))("missing %s alone is reported alone", (key) => {
    const error = configError({ DATABASE_URL: DB, ...secrets, [key]: undefined });
    expect(error.message).toBe(`Invalid environment:\n  ${key}: is required in production`);
  });

  it.each(Object.keys(secrets))("blank %s counts as missing", (key) => {
    expect(configError({ DATABASE_URL: DB, ...secrets, [key]: "  \t " }).message).toContain(`${key}: is required in production`);
  });

  it.each([
    ["23 characters", "a".repeat(23), false],
    ["24 characters", "a".repeat(24), true],
    ["24 characters after trimming padding", `  ${"a".repeat(24)}  `, true],
    ["23 characters padded to 27", `  ${"a".repeat(23)}  `, false],
  ])("ADMIN_TOKEN of %s", (_name, token, accepted) => {
    const source = { DATABASE_URL: DB, ...secrets, ADMIN_TOKEN: token };
    if (accepted) expect(parseEnv(source).ADMIN_TOKEN).toBe(token.trim());
    else expect(configError(source).message).toContain("ADMIN_TOKEN: must be at least 24 characters in production");
  });

  it.each([
    ["31 characters", "s".repeat(31), false],
    ["32 characters", "s".repeat(32), true],
    ["31 characters padded to 35", `  ${"s".repeat(31)}  `, false],
  ])("SESSION_SECRET of %s in production", (_name, secret, accepted) => {
    const source = { DATABASE_URL: DB, ...secrets, SESSION_SECRET: secret };
    if (accepted) expect(parseEnv(source).SESSION_SECRET).toBe(secret.trim());
    else expect(configError(source).message).toBe("Invalid environment:\n  SESSION_SECRET: must be at least 32 characters");
  });

  it("an Upstash pair stands in for REDIS_URL in production", () => {
    const { REDIS_URL: _unused, ...withoutRedis } = secrets;
    void _unused;
    const upstash = { UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io", UPSTASH_REDIS_REST_TOKEN: "token" };
    expect(parseEnv({ DATABASE_URL: DB, ...withoutRedis, ...upstash }).APP_MODE).toBe("production");
    expect(configError({ DATABASE_URL: DB, ...withoutRedis, UPSTASH_REDIS_REST_URL: upstash.UPSTASH_REDIS_REST_URL }).message).toContain(
      "REDIS_URL: is required in production",
    );
  });

  it("a complete production environment parses, secrets trimmed", () => {
    const env = parseEnv({ DATABASE_URL: ` ${DB} `, ...secrets, STRIPE_WEBHOOK_SECRET: " whsec_test\n" });
    expect(env).toEqual(expect.objectContaining({ APP_MODE: "production", DATABASE_URL: DB, STRIPE_WEBHOOK_SECRET: "whsec_test" }));
  });
});

describe("parseEnv: the console's settings", () => {
  it("are unset by default: a per-process session secret and the documented demo password", () => {
    const env = parseEnv({});
    expect([env.SESSION_SECRET, env.DEMO_ADMIN_PASSWORD, env.PUBLIC_URL]).toEqual([undefined, undefined, undefined]);
  });

  it("reads SESSION_SECRET, DEMO_ADMIN_PASSWORD and PUBLIC_URL in the demo", () => {
    const env = parseEnv({ SESSION_SECRET: "k".repeat(40), DEMO_ADMIN_PASSWORD: "twelve chars", PUBLIC_URL: "https://support.example.com" });
    expect(env).toEqual(
      expect.objectContaining({ APP_MODE: "demo", SESSION_SECRET: "k".repeat(40), DEMO_ADMIN_PASSWORD: "twelve chars", PUBLIC_URL: "https://support.example.com" }),
    );
  });

  it.each([
    ["SESSION_SECRET", "s".repeat(31), "must be at least 32 characters"],
    ["DEMO_ADMIN_PASSWORD", "eleven char", "must be at least 12 characters"],
  ])("refuses a short %s in the demo too", (key, value, message) => {
    expect(configError({ [key]: value }).message).toBe(`Invalid environment:\n  ${key}: ${message}`);
  });

  it("a short SESSION_SECRET and the missing secrets are listed together in production", () => {
    const message = configError({ DATABASE_URL: DB, SESSION_SECRET: "short" }).message;
    expect(message).toContain("  SESSION_SECRET: must be at least 32 characters");
    expect(message).toContain("  STRIPE_WEBHOOK_SECRET: is required in production");
  });
});

describe("parseEnv: malformed values", () => {
  it.each([
    ["DATABASE_URL", "not a url"],
    ["DATABASE_URL", "//db.internal:5432/entitled"],
    ["OPENAI_BASE_URL", "localhost"],
    ["UPSTASH_REDIS_REST_URL", "://x"],
    ["REDIS_URL", "cache 6379"],
    ["CIRCLE_API_URL", "circle"],
    ["KIT_API_URL", "api.kit.com"],
    ["PORT", "http"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["WORKER_CONCURRENCY", "0"],
    ["WORKER_CONCURRENCY", "65"],
    ["WORKER_POLL_MS", "9"],
    ["NODE_ENV", "staging"],
    ["LOG_LEVEL", "verbose"],
    ["RUN_WORKER", "true"],
    ["BENCH_ROUTES", "yes"],
    ["PUBLIC_URL", "support.example.com"],
    ["DRAIN_BUDGET_MS", "soon"],
    ["DRAIN_BUDGET_MS", "25000.5"],
    ["QSTASH_URL", "qstash.upstash.io"],
    ["CIRCLE_PLAN", "pro"],
    ["RECONCILE_SHARE", "1"],
    ["RECONCILE_INTERVAL_MINUTES", "-5"],
    ["JOB_RETENTION_DAYS", "7"],
    ["JOB_RETENTION_DAYS", "a month"],
  ])("%s=%j is rejected by name", (key, value) => {
    const error = configError({ [key]: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^ {2}${key}: `, "m"));
  });
});

describe("parseEnv: blank strings are unset", () => {
  it.each([
    "DATABASE_URL",
    "STRIPE_WEBHOOK_SECRET",
    "KIT_WEBHOOK_SECRET",
    "CIRCLE_API_TOKEN",
    "KIT_API_KEY",
    "CHAT_IDENTITY_SECRET",
    "ADMIN_TOKEN",
    "SESSION_SECRET",
    "DEMO_ADMIN_PASSWORD",
    "PUBLIC_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "UPSTASH_REDIS_REST_URL",
    "UPSTASH_REDIS_REST_TOKEN",
    "REDIS_URL",
    "PLAN_CATALOG",
    "CRON_SECRET",
    "QSTASH_CURRENT_SIGNING_KEY",
    "QSTASH_NEXT_SIGNING_KEY",
    "QSTASH_TOKEN",
  ])("%s", (key) => {
    for (const blank of ["", "   ", "\n"]) {
      const env = parseEnv({ [key]: blank });
      expect(env[key as keyof typeof env]).toBeUndefined();
      expect(env.APP_MODE).toBe("demo");
    }
  });
});

describe("parseEnv: the drain route's settings", () => {
  const keys = { QSTASH_CURRENT_SIGNING_KEY: "sig_current", QSTASH_NEXT_SIGNING_KEY: "sig_next" };

  it("are unset by default: the route is not mounted and nothing re-triggers", () => {
    const env = parseEnv({});
    expect([env.CRON_SECRET, env.QSTASH_CURRENT_SIGNING_KEY, env.QSTASH_NEXT_SIGNING_KEY, env.QSTASH_TOKEN]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it.each([
    ["15 characters", "c".repeat(15), false],
    ["16 characters", "c".repeat(16), true],
    ["15 characters padded to 19", `  ${"c".repeat(15)}  `, false],
  ])("CRON_SECRET of %s", (_name, secret, accepted) => {
    for (const mode of [{}, { DATABASE_URL: DB, ...secrets }]) {
      const source = { ...mode, CRON_SECRET: secret };
      if (accepted) expect(parseEnv(source).CRON_SECRET).toBe(secret.trim());
      else expect(configError(source).message).toBe("Invalid environment:\n  CRON_SECRET: must be at least 16 characters");
    }
  });

  it("reads both QStash signing keys, trimmed", () => {
    const env = parseEnv({ QSTASH_CURRENT_SIGNING_KEY: " sig_current\n", QSTASH_NEXT_SIGNING_KEY: "sig_next" });
    expect([env.QSTASH_CURRENT_SIGNING_KEY, env.QSTASH_NEXT_SIGNING_KEY]).toEqual(["sig_current", "sig_next"]);
  });

  it.each([
    ["QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"],
    ["QSTASH_NEXT_SIGNING_KEY", "QSTASH_CURRENT_SIGNING_KEY"],
  ])("refuses %s without %s", (given, missing) => {
    expect(configError({ [given]: "sig_key" }).message).toBe(`Invalid environment:\n  ${missing}: is required with the other QStash signing key`);
  });

  it("QSTASH_TOKEN needs PUBLIC_URL (where to re-trigger) and the signing keys (to accept the re-triggered call)", () => {
    expect(configError({ QSTASH_TOKEN: "qstash_token" }).message).toBe(
      "Invalid environment:\n" +
        "  PUBLIC_URL: is required with QSTASH_TOKEN\n" +
        "  QSTASH_CURRENT_SIGNING_KEY: is required with QSTASH_TOKEN\n" +
        "  QSTASH_NEXT_SIGNING_KEY: is required with QSTASH_TOKEN",
    );
    expect(configError({ QSTASH_TOKEN: "qstash_token", ...keys }).message).toBe("Invalid environment:\n  PUBLIC_URL: is required with QSTASH_TOKEN");
    expect(configError({ QSTASH_TOKEN: "qstash_token", PUBLIC_URL: "https://support.example.com" }).message).toContain("QSTASH_NEXT_SIGNING_KEY: is required with QSTASH_TOKEN");
    // One key missing is said once, by the pair's own rule.
    expect(configError({ QSTASH_TOKEN: "qstash_token", PUBLIC_URL: "https://support.example.com", QSTASH_CURRENT_SIGNING_KEY: "sig_current" }).message).toBe(
      "Invalid environment:\n  QSTASH_NEXT_SIGNING_KEY: is required with the other QStash signing key",
    );
  });

  it("a complete QStash setup parses, in production too", () => {
    const qstash = { ...keys, QSTASH_TOKEN: "qstash_token", PUBLIC_URL: "https://support.example.com", CRON_SECRET: "c".repeat(32) };
    expect(parseEnv({ DATABASE_URL: DB, ...secrets, ...qstash })).toEqual(expect.objectContaining({ APP_MODE: "production", ...qstash }));
  });

  it.each([
    [String(DRAIN_JOB_MS - 1), false],
    [String(DRAIN_JOB_MS), true],
    ["900000", true],
    ["900001", false],
  ])("DRAIN_BUDGET_MS=%s: at least one batch's time, at most 15 minutes", (value, accepted) => {
    if (accepted) expect(parseEnv({ DRAIN_BUDGET_MS: value }).DRAIN_BUDGET_MS).toBe(Number(value));
    else expect(configError({ DRAIN_BUDGET_MS: value }).message).toMatch(/^ {2}DRAIN_BUDGET_MS: /m);
  });
});
