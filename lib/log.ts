import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import pino from "pino";
import { env } from "./config";

// Structured JSON logs. The code logs ids and counts, not emails or payloads; as a backstop,
// values at credential-bearing keys are redacted by path, and every string value and message is
// scrubbed of email addresses, identity tokens (JWTs), bearer credentials and provider secrets,
// whichever key they sit under (a provider's error message can quote a member's email).
//
// Each webhook delivery, job and chat turn runs under a correlation id (withCorrelation): every
// line logged inside it carries `correlationId`, including lines from code that knows nothing of it.

/** Keys whose values are credentials or personal data, at the top level or one level down. */
const SENSITIVE_KEYS = [
  "email",
  "memberEmail",
  "authorization",
  "cookie",
  "set-cookie",
  "headers",
  "token",
  "accessToken",
  "identityToken",
  "secret",
  "apiKey",
  "api_key",
  "password",
  "passwordHash",
  "signature",
  "stripe-signature",
  "x-kit-signature",
  "upstash-signature",
  "payload",
];
export const REDACT_PATHS = SENSITIVE_KEYS.flatMap((key) => {
  const path = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  return [path, path.startsWith("[") ? `*${path}` : `*.${path}`];
});

const SCRUBBERS: Array<[RegExp, string]> = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, "[email]"],
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, "[jwt]"],
  [/\b(Bearer|Token|Basic)\s+[\w.~+/=-]{8,}/gi, "$1 [redacted]"],
  [/\b(?:whsec|sk_live|sk_test|rk_live|rk_test)_[\w]+/g, "[secret]"],
];

/** The text with email addresses, JWTs, bearer credentials and Stripe secrets replaced. */
export function scrubText(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of SCRUBBERS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrubText(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    const copy = new Error(scrubText(value.message));
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : scrubText(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  if (value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = scrubValue(item, depth + 1);
  return copy;
}

const correlation = new AsyncLocalStorage<string>();

/** A fresh correlation id. */
export const newCorrelationId = () => crypto.randomUUID();

/** Runs `work` with every log line inside it (awaited continuations included) carrying `correlationId`. */
export function withCorrelation<T>(correlationId: string, work: () => T): T {
  return correlation.run(correlationId, work);
}

/** The correlation id of the work in progress, if any. */
export const currentCorrelationId = (): string | undefined => correlation.getStore();

const level = env().LOG_LEVEL;
// Standard output (synchronous, as pino writes it by default: nothing is lost when a process exits),
// plus whatever captureLogs adds (tests).
const destinations = pino.multistream(level === "silent" ? [] : [{ level, stream: pino.destination({ fd: 1, sync: true }) }]);

export const log = pino(
  {
    level,
    base: { service: "entitled" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    mixin: () => {
      const correlationId = correlation.getStore();
      return correlationId ? { correlationId } : {};
    },
    formatters: { log: (object) => scrubValue(object, 0) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === "string" ? scrubText(arg) : arg)) as Parameters<typeof method>);
      },
    },
  },
  destinations,
);

/**
 * Every line logged from now on, at any level, as written (after redaction), until `stop`:
 * for tests that check what reaches the logs. Standard output keeps its own level.
 */
export function captureLogs(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const previousLevel = log.level;
  destinations.add({ level: "trace", stream: { write: (line: string) => lines.push(line) } });
  // multistream numbers each added stream (`lastId`); its types leave the counter out.
  const id = (destinations as unknown as { lastId: number }).lastId;
  log.level = "trace";
  return {
    lines,
    stop() {
      destinations.remove(id);
      log.level = previousLevel;
    },
  };
}
