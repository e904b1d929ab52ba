export type IntegrationProvider = "circle" | "kit";

export type IntegrationErrorCode =
  | "timeout"
  | "network"
  | "rate_limited"
  | "server_error"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "invalid_request"
  | "bad_response";

export interface IntegrationErrorInit {
  provider: IntegrationProvider;
  code: IntegrationErrorCode;
  status: number | null;
  retryable: boolean;
  retryAfterMs?: number | null;
  message: string;
  /** The provider's own error text, already redacted. */
  detail?: string | null;
}

/**
 * A failed call to Circle or Kit, classified so callers can decide between retrying later and
 * giving up. Messages are safe to log: they name the operation, never the URL, body or token.
 */
export class IntegrationError extends Error {
  readonly provider: IntegrationProvider;
  /** HTTP status, or null when no response arrived (timeout, network). */
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly code: IntegrationErrorCode;
  readonly detail: string | null;

  constructor(init: IntegrationErrorInit) {
    super(init.message);
    this.name = "IntegrationError";
    this.provider = init.provider;
    this.status = init.status;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.code = init.code;
    this.detail = init.detail ?? null;
  }
}

export function classifyHttpStatus(status: number): { code: IntegrationErrorCode; retryable: boolean } {
  if (status === 429) return { code: "rate_limited", retryable: true };
  if (status === 408) return { code: "timeout", retryable: true };
  if (status === 425 || status >= 500) return { code: "server_error", retryable: true };
  if (status === 401) return { code: "unauthorized", retryable: false };
  if (status === 403) return { code: "forbidden", retryable: false };
  if (status === 404) return { code: "not_found", retryable: false };
  return { code: "invalid_request", retryable: false };
}

/** Parses `Retry-After` (delta-seconds or HTTP-date) into milliseconds from `now`. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

const EMAIL_PATTERN = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g;
const MIN_SECRET_LENGTH = 4;
const MAX_DETAIL_LENGTH = 200;

/** Removes email addresses and the given secrets from provider text before it reaches a message. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) result = result.split(secret).join("[secret]");
  }
  result = result.replace(EMAIL_PATTERN, "[email]");
  return result.length > MAX_DETAIL_LENGTH ? `${result.slice(0, MAX_DETAIL_LENGTH)}…` : result;
}
