import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis as IORedis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../lib/config";
import { chooseRateLimitStore, createChatRateLimiter, type ChatRateLimiter, type RateLimit, type RateLimitStore } from "../../lib/ratelimit";

// Runs against the real Redis on this machine (scripts/services.sh starts it); every key this
// run writes sits under one unique prefix, deleted at the end.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const RUN_PREFIX = `test:ratelimit:${randomUUID()}`;
const KEY_SECRET = "rate-limit-key-secret-for-tests";

let redis: IORedis;
beforeAll(() => {
  redis = new IORedis(REDIS_URL);
});
afterAll(async () => {
  const keys = await runKeys();
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function runKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${RUN_PREFIX}:*`, count: 500 })) keys.push(...(batch as string[]));
  return keys;
}

const minute = (requests: number): RateLimit => ({ requests, windowMs: 60_000 });

/** Sleeps until `offsetMs` into the next window of `windowMs`, so a test knows where in the window it stands. */
async function untilNextWindow(windowMs: number, offsetMs: number) {
  const now = Date.now();
  await sleep((Math.floor(now / windowMs) + 1) * windowMs + offsetMs - now);
}

const stores: [string, RateLimitStore][] = [
  ["redis", { kind: "redis", url: REDIS_URL }],
  ["memory", { kind: "memory" }],
];

describe.each(stores)("chat rate limiter on the %s store", (_name, store) => {
  const open: ChatRateLimiter[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((limiter) => limiter.close()));
  });
  const limiter = (limits: { customer?: RateLimit; ip?: RateLimit }) => {
    const created = createChatRateLimiter({ ...store, limits, prefix: `${RUN_PREFIX}:${randomUUID()}`, keySecret: KEY_SECRET });
    open.push(created);
    return created;
  };

  it("limits the message after the Nth within the window, with a positive Retry-After", async () => {
    const chat = limiter({ customer: minute(3), ip: minute(100) });
    const message = { customerKey: "ada@example.com", ip: "203.0.113.7" };
    for (let i = 0; i < 3; i++) expect(await chat.check(message)).toEqual({ ok: true });
    const limited = await chat.check(message);
    expect(limited).toMatchObject({ ok: false, scope: "customer" });
    if (limited.ok) throw new Error("unreachable");
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("gives each customer their own limit", async () => {
    const chat = limiter({ customer: minute(2), ip: minute(100) });
    for (let i = 0; i < 2; i++) await chat.check({ customerKey: "ada@example.com", ip: "203.0.113.7" });
    expect(await chat.check({ customerKey: "ada@example.com", ip: "203.0.113.7" })).toMatchObject({ ok: false, scope: "customer" });
    expect(await chat.check({ customerKey: "grace@example.com", ip: "203.0.113.7" })).toEqual({ ok: true });
  });

  it("applies the IP limit across customers, and only to that IP", async () => {
    const chat = limiter({ customer: minute(10), ip: minute(3) });
    for (const customerKey of ["a@example.com", "b@example.com", "c@example.com"]) {
      expect(await chat.check({ customerKey, ip: "198.51.100.1" })).toEqual({ ok: true });
    }
    expect(await chat.check({ customerKey: "d@example.com", ip: "198.51.100.1" })).toMatchObject({ ok: false, scope: "ip" });
    expect(await chat.check({ customerKey: "d@example.com", ip: "198.51.100.2" })).toEqual({ ok: true });
    expect(await chat.check({ customerKey: "d@example.com", ip: null })).toEqual({ ok: true });
  });

  it("charges a rejected message to neither scope", async () => {
    const chat = limiter({ customer: minute(1), ip: minute(3) });
    const ip = "198.51.100.9";
    expect(await chat.check({ customerKey: "spammer@example.com", ip })).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) expect(await chat.check({ customerKey: "spammer@example.com", ip })).toMatchObject({ ok: false, scope: "customer" });
    // The spammer's rejected messages left the IP's remaining two messages for colleagues.
    expect(await chat.check({ customerKey: "colleague1@example.com", ip })).toEqual({ ok: true });
    expect(await chat.check({ customerKey: "colleague2@example.com", ip })).toEqual({ ok: true });
    expect(await chat.check({ customerKey: "colleague3@example.com", ip })).toMatchObject({ ok: false, scope: "ip" });
  });

  it("slides: the previous window still weighs early in the next, and is forgotten after", async () => {
    const windowMs = 1000;
    const chat = limiter({ customer: { requests: 2, windowMs }, ip: { requests: 100, windowMs } });
    const message = { customerKey: "ada@example.com", ip: "203.0.113.7" };

    await untilNextWindow(windowMs, 20);
    expect(await chat.check(message)).toEqual({ ok: true });
    expect(await chat.check(message)).toEqual({ ok: true });
    expect(await chat.check(message)).toEqual({ ok: false, scope: "customer", retryAfterSeconds: 1 });

    // 15% into the next window the previous one counts floor(0.85 * 2) = 1: one message passes
    // where a fixed window would allow two.
    await untilNextWindow(windowMs, 150);
    expect(await chat.check(message)).toEqual({ ok: true });
    expect(await chat.check(message)).toMatchObject({ ok: false, scope: "customer" });

    // Two windows on, nothing of the burst counts.
    await untilNextWindow(windowMs, 0);
    await untilNextWindow(windowMs, 150);
    expect(await chat.check(message)).toEqual({ ok: true });
    expect(await chat.check(message)).toEqual({ ok: true });
  });
});

describe("chat rate limiter on Redis", () => {
  it("keeps raw emails and IPs out of its keys", async () => {
    const prefix = `${RUN_PREFIX}:${randomUUID()}`;
    const chat = createChatRateLimiter({ kind: "redis", url: REDIS_URL, prefix, keySecret: KEY_SECRET });
    try {
      await chat.check({ customerKey: "Private.Person@example.com", ip: "192.0.2.55" });
    } finally {
      await chat.close();
    }
    const keys = (await runKeys()).filter((key) => key.startsWith(prefix));
    expect(keys.length).toBe(2);
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^${prefix}:(customer|ip):[0-9a-f]{64}:\\d+$`));
    }
  });

  it("keys its identifiers with the secret: no plain hash of an email or IP, and another secret counts apart", async () => {
    const prefix = `${RUN_PREFIX}:${randomUUID()}`;
    const limits = { customer: minute(1), ip: minute(100) };
    const message = { customerKey: "private.person@example.com", ip: "192.0.2.56" };
    const first = createChatRateLimiter({ kind: "redis", url: REDIS_URL, prefix, limits, keySecret: KEY_SECRET });
    const otherSecret = createChatRateLimiter({ kind: "redis", url: REDIS_URL, prefix, limits, keySecret: "a-different-key-secret" });
    try {
      expect(await first.check(message)).toEqual({ ok: true });
      expect(await first.check(message)).toMatchObject({ ok: false, scope: "customer" });
      expect(await otherSecret.check(message)).toEqual({ ok: true });
    } finally {
      await Promise.all([first.close(), otherSecret.close()]);
    }
    const plain = [message.customerKey, message.ip].map((value) => createHash("sha256").update(value).digest("hex"));
    const keys = (await runKeys()).filter((key) => key.startsWith(prefix));
    expect(keys.length).toBe(4);
    for (const key of keys) for (const hash of plain) expect(key).not.toContain(hash);
    expect(() => createChatRateLimiter({ kind: "memory", keySecret: "" })).toThrow(/key secret is empty/);
  });

  it("shares limits between limiter instances, as separate app instances would", async () => {
    const prefix = `${RUN_PREFIX}:${randomUUID()}`;
    const limits = { customer: minute(2), ip: minute(100) };
    const first = createChatRateLimiter({ kind: "redis", url: REDIS_URL, prefix, limits, keySecret: KEY_SECRET });
    const second = createChatRateLimiter({ kind: "redis", url: REDIS_URL, prefix, limits, keySecret: KEY_SECRET });
    try {
      const message = { customerKey: "ada@example.com", ip: "203.0.113.7" };
      expect(await first.check(message)).toEqual({ ok: true });
      expect(await second.check(message)).toEqual({ ok: true });
      expect(await first.check(message)).toMatchObject({ ok: false, scope: "customer" });
      expect(await second.check(message)).toMatchObject({ ok: false, scope: "customer" });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("fails check() when Redis is unreachable", async () => {
    const chat = createChatRateLimiter({ kind: "redis", url: "redis://127.0.0.1:1", keySecret: KEY_SECRET });
    try {
      await expect(chat.check({ customerKey: "ada@example.com", ip: null })).rejects.toThrow();
    } finally {
      await chat.close();
    }
  });
});

describe("Upstash REST store", () => {
  // No network here: only construction is checked, no request is made.
  it("constructs", async () => {
    const chat = createChatRateLimiter({ kind: "upstash", url: "https://example-12345.upstash.io", token: "test-token", keySecret: KEY_SECRET });
    expect(typeof chat.check).toBe("function");
    await chat.close();
  });
});

describe("chooseRateLimitStore", () => {
  type StoreEnv = Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN" | "REDIS_URL" | "APP_MODE">;
  const env = (overrides: Partial<StoreEnv>): StoreEnv => ({
    APP_MODE: "demo",
    UPSTASH_REDIS_REST_URL: undefined,
    UPSTASH_REDIS_REST_TOKEN: undefined,
    REDIS_URL: undefined,
    ...overrides,
  });
  const upstash = { UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io", UPSTASH_REDIS_REST_TOKEN: "tok" };
  const redisUrl = { REDIS_URL: "redis://cache:6379" };

  it.each<[string, Partial<StoreEnv>, RateLimitStore]>([
    ["Upstash when both Upstash variables are set", upstash, { kind: "upstash", url: "https://eu1.upstash.io", token: "tok" }],
    ["Upstash over Redis when both are set", { ...upstash, ...redisUrl }, { kind: "upstash", url: "https://eu1.upstash.io", token: "tok" }],
    ["Redis when only REDIS_URL is set", redisUrl, { kind: "redis", url: "redis://cache:6379" }],
    ["Redis in production", { ...redisUrl, APP_MODE: "production" }, { kind: "redis", url: "redis://cache:6379" }],
    ["Upstash in production", { ...upstash, APP_MODE: "production" }, { kind: "upstash", url: "https://eu1.upstash.io", token: "tok" }],
    ["memory in the demo with no store", {}, { kind: "memory" }],
  ])("chooses %s", (_case, overrides, expected) => {
    expect(chooseRateLimitStore(env(overrides))).toEqual(expected);
  });

  it.each<[string, Partial<StoreEnv>, RegExp]>([
    ["production with no shared store", { APP_MODE: "production" }, /shared store in production/],
    ["an Upstash URL without its token", { UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io" }, /must be set together/],
    ["an Upstash token without its URL", { UPSTASH_REDIS_REST_TOKEN: "tok", ...redisUrl }, /must be set together/],
  ])("refuses %s", (_case, overrides, message) => {
    expect(() => chooseRateLimitStore(env(overrides))).toThrow(message);
  });
});
