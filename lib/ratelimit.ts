import { createHash, createHmac } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { ConfigError, type Env } from "./config";

// Rate limits as sliding windows in Redis so that every instance shares them: the chat's, per
// customer and per IP, and the console's failed sign-ins, per account and per address. The
// in-process store exists only for the embedded demo.

export type RateLimitStore = { kind: "upstash"; url: string; token: string } | { kind: "redis"; url: string } | { kind: "memory" };
export type RateLimitScope = "customer" | "ip";
export interface RateLimit {
  requests: number;
  windowMs: number;
}
export type ChatRateLimiterOptions = RateLimitStore & {
  limits?: Partial<Record<RateLimitScope, RateLimit>>;
  /** Redis key prefix; tests pass a unique one. */
  prefix?: string;
  /**
   * Keys the identifiers in Redis (HMAC-SHA256): without it, anyone who can list the keys could
   * confirm who chatted by hashing candidate emails. Every instance must use the same one.
   */
  keySecret: string;
};
export type RateLimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number; scope: RateLimitScope };
export interface ChatRateLimiter {
  /** `ip` null (unknown) skips the IP limit rather than lumping every unknown caller together. */
  check(request: { customerKey: string; ip: string | null }): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

export const DEFAULT_CHAT_RATE_LIMITS: Record<RateLimitScope, RateLimit> = {
  customer: { requests: 20, windowMs: 60_000 },
  ip: { requests: 60, windowMs: 60_000 },
};
const DEFAULT_PREFIX = "entitled:chat-ratelimit";

/** One scope's sliding window; a negative rate hands tokens back. `reset` is epoch ms. */
type SlidingWindow = (identifier: string, rate: number) => Promise<{ success: boolean; reset: number }>;

export function chooseRateLimitStore(
  config: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN" | "REDIS_URL" | "APP_MODE">,
): RateLimitStore {
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config;
  // Half an Upstash configuration is a typo, not a request for another store.
  if (Boolean(url) !== Boolean(token)) {
    throw new ConfigError("UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set together");
  }
  if (url && token) return { kind: "upstash", url, token };
  if (config.REDIS_URL) return { kind: "redis", url: config.REDIS_URL };
  if (config.APP_MODE === "production") {
    throw new ConfigError(
      "rate limits need a shared store in production: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or REDIS_URL (in-process limits do not hold across instances)",
    );
  }
  return { kind: "memory" };
}

export function createChatRateLimiter(options: ChatRateLimiterOptions): ChatRateLimiter {
  const limits = { ...DEFAULT_CHAT_RATE_LIMITS, ...options.limits };
  const scoped = openScopedWindows(options, options.prefix ?? DEFAULT_PREFIX, limits);
  return {
    async check({ customerKey, ip }) {
      if (customerKey.trim() === "") throw new TypeError("customerKey is empty");
      const hits: Hit<RateLimitScope>[] = [{ scope: "customer", value: customerKey }];
      if (ip) hits.push({ scope: "ip", value: ip });
      // A rejected message spends nothing: otherwise one customer hammering past their own
      // limit would use up the IP allowance of everyone behind the same address.
      return scoped.take(hits);
    },
    close: scoped.close,
  };
}

export type SignInScope = "account" | "accountAtAddress" | "address";
export type SignInDecision = { ok: true } | { ok: false; retryAfterSeconds: number; scope: SignInScope };
export type SignInLimiterOptions = RateLimitStore & {
  limits?: Partial<Record<SignInScope, RateLimit>>;
  /** Redis key prefix; tests pass a unique one. */
  prefix?: string;
  /** Keys the identifiers in Redis (HMAC-SHA256), as for the chat's; the same on every instance. */
  keySecret: string;
};
export interface SignInAttempt {
  /** The normalised email the attempt names (known or not). */
  account: string;
  /** The client address; null (unknown) skips the address limit. */
  address: string | null;
}
export interface SignInLimiter {
  /**
   * Counts the attempt against its account and address before the password is checked, so
   * parallel guesses cannot race past the limit; a refused attempt counts against neither.
   */
  attempt(attempt: SignInAttempt): Promise<SignInDecision>;
  /** A correct password hands its attempt back: only failures accumulate. */
  succeeded(attempt: SignInAttempt): Promise<void>;
  close(): Promise<void>;
}

/**
 * Failed console sign-ins in any 15 minutes: 5 per account from one address, 20 per address
 * across accounts, and 50 per account from everywhere. Anyone who knows an admin's email can
 * fail on purpose; counting an account's failures per address means that locks the admin out
 * only at the attacker's own address, while the wider account limit still stops guessing spread
 * over many addresses.
 */
export const DEFAULT_SIGN_IN_LIMITS: Record<SignInScope, RateLimit> = {
  accountAtAddress: { requests: 5, windowMs: 15 * 60_000 },
  address: { requests: 20, windowMs: 15 * 60_000 },
  account: { requests: 50, windowMs: 15 * 60_000 },
};
const SIGN_IN_PREFIX = "entitled:signin-ratelimit";

export function createSignInLimiter(options: SignInLimiterOptions): SignInLimiter {
  const scoped = openScopedWindows(options, options.prefix ?? SIGN_IN_PREFIX, { ...DEFAULT_SIGN_IN_LIMITS, ...options.limits });
  const hits = ({ account, address }: SignInAttempt): Hit<SignInScope>[] => {
    if (account.trim() === "") throw new TypeError("account is empty");
    // With no address to tell attempts apart, the account's own limit is the per-address one.
    if (!address) return [{ scope: "accountAtAddress", value: account }];
    return [
      { scope: "accountAtAddress", value: `${account}\u0000${address}` },
      { scope: "address", value: address },
      { scope: "account", value: account },
    ];
  };
  return {
    attempt: (attempt) => scoped.take(hits(attempt)),
    succeeded: (attempt) => scoped.giveBack(hits(attempt)),
    close: scoped.close,
  };
}

/** Failed webhook signature checks: 30 per source address in any minute, then 429. */
export const DEFAULT_WEBHOOK_FAILURE_LIMIT: RateLimit = { requests: 30, windowMs: 60_000 };
const WEBHOOK_FAILURE_PREFIX = "entitled:webhook-failures";
export type WebhookFailureLimiterOptions = RateLimitStore & {
  limit?: RateLimit;
  /** Redis key prefix; tests pass a unique one. */
  prefix?: string;
  /** Keys the addresses in Redis (HMAC-SHA256); the same on every instance. */
  keySecret: string;
};
export interface WebhookFailureLimiter {
  /** Counts one failed signature check from `address`; not ok once it is over the limit. */
  failed(address: string): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;
  close(): Promise<void>;
}

/**
 * Per-address limit on webhook deliveries that fail their signature check (lib/webhooks/http.ts
 * refuseUnverified). Only failures are counted, so correctly signed deliveries are never limited
 * and never wait on the store. Once an address is over the limit this process remembers it until
 * the window resets and answers its further failures without a round trip to the store.
 */
export function createWebhookFailureLimiter(options: WebhookFailureLimiterOptions): WebhookFailureLimiter {
  const scoped = openScopedWindows(options, options.prefix ?? WEBHOOK_FAILURE_PREFIX, { address: options.limit ?? DEFAULT_WEBHOOK_FAILURE_LIMIT });
  const blockedUntil = new Map<string, number>();
  const MAX_REMEMBERED = 10_000;
  return {
    async failed(address) {
      const now = Date.now();
      const until = blockedUntil.get(address);
      if (until !== undefined) {
        if (until > now) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) };
        blockedUntil.delete(address);
      }
      const decision = await scoped.take([{ scope: "address", value: address }]);
      if (decision.ok) return { ok: true };
      // Bounded: under an address-rotating flood the oldest entries go first.
      if (blockedUntil.size >= MAX_REMEMBERED) blockedUntil.delete(blockedUntil.keys().next().value as string);
      blockedUntil.set(address, now + decision.retryAfterSeconds * 1000);
      return { ok: false, retryAfterSeconds: decision.retryAfterSeconds };
    },
    close: scoped.close,
  };
}

interface Hit<S extends string> {
  scope: S;
  value: string;
}

interface ScopedWindows<S extends string> {
  /** One from each hit's window; when any is spent, the others are handed back and the longest wait returned. */
  take(hits: Hit<S>[]): Promise<{ ok: true } | { ok: false; scope: S; retryAfterSeconds: number }>;
  giveBack(hits: Hit<S>[]): Promise<void>;
  close(): Promise<void>;
}

/** One sliding window per scope on the chosen store, keyed by HMAC of scope and value. */
function openScopedWindows<S extends string>(
  options: RateLimitStore & { keySecret: string },
  prefix: string,
  limits: Record<S, RateLimit>,
): ScopedWindows<S> {
  const scopes = Object.keys(limits) as S[];
  for (const scope of scopes) {
    const limit = limits[scope];
    if (!Number.isInteger(limit.requests) || limit.requests < 1 || !Number.isInteger(limit.windowMs) || limit.windowMs < 1) {
      throw new RangeError(`rate limit for ${scope} needs positive integer requests and windowMs`);
    }
  }
  if (options.keySecret === "") throw new TypeError("the rate-limit key secret is empty");
  // Keyed hashes: no email or address in Redis keys, and a bounded key whatever a header carried.
  const identifier = (scope: S, value: string) => createHmac("sha256", options.keySecret).update(`${scope}\u0000${value}`).digest("hex");

  const windows = {} as Record<S, SlidingWindow>;
  let close = async () => {};
  if (options.kind === "memory") {
    for (const scope of scopes) windows[scope] = memoryWindow(limits[scope]);
  } else {
    let redis: RatelimitRedis;
    if (options.kind === "upstash") {
      redis = new UpstashRedis({ url: options.url, token: options.token });
    } else {
      // Lazy: building the limiter (at import, during a build) opens no socket. One retry, so
      // a down Redis fails a check quickly instead of queueing it.
      const client = new IORedis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      // Command failures reject the check; the connection's own error events would otherwise be
      // printed by ioredis as unhandled.
      client.on("error", () => {});
      redis = ioredisAdapter(client);
      close = async () => {
        await client.quit();
      };
    }
    for (const scope of scopes) windows[scope] = upstashWindow(redis, `${prefix}:${scope}`, limits[scope]);
  }

  const spend = (hit: Hit<S>, rate: number) => windows[hit.scope](identifier(hit.scope, hit.value), rate);
  return {
    async take(hits) {
      const outcomes = await Promise.all(hits.map(async (hit) => ({ hit, ...(await spend(hit, 1)) })));
      const blocked = outcomes.filter((outcome) => !outcome.success);
      if (blocked.length === 0) return { ok: true };
      await Promise.all(outcomes.filter((outcome) => outcome.success).map((outcome) => spend(outcome.hit, -1)));
      const longest = blocked.reduce((a, b) => (b.reset > a.reset ? b : a));
      return { ok: false, scope: longest.hit.scope, retryAfterSeconds: Math.max(1, Math.ceil((longest.reset - Date.now()) / 1000)) };
    },
    async giveBack(hits) {
      await Promise.all(hits.map((hit) => spend(hit, -1)));
    },
    close: () => close(),
  };
}

const sha1 = (value: string) => createHash("sha1").update(value).digest("hex");

type RatelimitRedis = ConstructorParameters<typeof Ratelimit>[0]["redis"];

function upstashWindow(redis: RatelimitRedis, prefix: string, limit: RateLimit): SlidingWindow {
  const ratelimit = new Ratelimit({
    redis,
    prefix,
    limiter: Ratelimit.slidingWindow(limit.requests, `${limit.windowMs} ms`),
    // Its blocked-identifier Map is never pruned, so a long-lived server under an IP-rotating
    // flood would grow it without bound; a blocked check costs one round trip instead.
    ephemeralCache: false,
  });
  return (identifier, rate) => ratelimit.limit(identifier, { rate });
}

/**
 * Lets @upstash/ratelimit run on a plain Redis. Its single-region sliding window calls exactly
 * two methods on `redis` (dist/index.mjs, `safeEval`): `evalsha(hash, keys, args)`, then, when
 * the error mentions NOSCRIPT, `eval(script, keys, args)`. Its declared type asks for
 * `evalsha`, `get` and `set`; `get`/`set` serve only `dynamicLimits`, and `hset`/`multi` only
 * multi-region and deny-list protection, none of which this module enables, hence the cast.
 */
function ioredisAdapter(client: IORedis): RatelimitRedis {
  // The scripts open with `#!lua flags=allow-key-locking`, an Upstash flag Redis 7 rejects
  // ("Unexpected flag in script shebang"). They run without the line, under another sha1, so
  // remember which server-side sha stands for each of the library's hashes.
  const serverSha = new Map<string, string>();
  // @upstash/redis sends non-string arguments JSON-encoded; String() agrees for numbers and null.
  const argv = (keys: string[], args: unknown[]) => [keys.length, ...keys, ...args.map(String)] as const;
  const adapter = {
    async evalsha(sha: string, keys: string[], args: unknown[]): Promise<unknown> {
      const known = serverSha.get(sha);
      // Not loaded yet: answer NOSCRIPT ourselves and spare the round trip. After a Redis
      // restart the server answers NOSCRIPT itself, and the library falls back to eval alike.
      if (known === undefined) throw new Error("NOSCRIPT script not loaded yet");
      return client.evalsha(known, ...argv(keys, args));
    },
    async eval(script: string, keys: string[], args: unknown[]): Promise<unknown> {
      const runnable = script.replace(/^#![^\n]*\n/, "");
      const result = await client.eval(runnable, ...argv(keys, args));
      serverSha.set(sha1(script), sha1(runnable));
      return result;
    },
  };
  return adapter as unknown as RatelimitRedis;
}

/**
 * The same weighted two-window algorithm as the library's Lua script, in process memory. Only
 * for the embedded demo (one process); chooseRateLimitStore refuses it in production.
 */
function memoryWindow(limit: RateLimit): SlidingWindow {
  const counts = new Map<string, { window: number; current: number; previous: number }>();
  let sweptWindow = 0;
  return async (identifier, rate) => {
    const now = Date.now();
    const window = Math.floor(now / limit.windowMs);
    if (window !== sweptWindow) {
      // Entries two windows old no longer count; drop them so the map stays bounded.
      for (const [key, entry] of counts) if (entry.window < window - 1) counts.delete(key);
      sweptWindow = window;
    }
    const stored = counts.get(identifier);
    const entry =
      stored?.window === window
        ? stored
        : { window, current: 0, previous: stored?.window === window - 1 ? stored.current : 0 };
    const previousWeighted = Math.floor((1 - (now % limit.windowMs) / limit.windowMs) * entry.previous);
    const reset = (window + 1) * limit.windowMs;
    if (rate > 0 && previousWeighted + entry.current >= limit.requests) return { success: false, reset };
    entry.current += rate;
    counts.set(identifier, entry);
    return { success: true, reset };
  };
}
