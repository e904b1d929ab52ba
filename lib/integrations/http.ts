import type { z } from "zod";
import { IntegrationError, classifyHttpStatus, parseRetryAfter, redact, type IntegrationProvider } from "./errors";

export const DEFAULT_TIMEOUT_MS = 10_000;

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface JsonHttpOptions {
  provider: IntegrationProvider;
  baseUrl: string;
  /** Auth and any other fixed headers. */
  headers: Readonly<Record<string, string>>;
  /** Values scrubbed from error messages, e.g. the API token. */
  secrets: readonly string[];
  /** Pulls the provider's human-readable error text out of a parsed error body. */
  errorDetail: (body: unknown) => string | null;
  timeoutMs?: number;
  /** Awaited before every HTTP request, e.g. to take a slot from a shared request budget. */
  beforeRequest?: () => Promise<void>;
}

export interface JsonRequest<T> {
  /** Names the call in error messages; the URL never appears there because queries carry emails. */
  operation: string;
  method: HttpMethod;
  path: string;
  query?: Readonly<Record<string, string | number | undefined>>;
  body?: unknown;
  /** Validates a 2xx body (`undefined` when the body is empty). */
  schema: z.ZodType<T>;
}

export interface JsonResponse<T> {
  status: number;
  data: T;
}

export type JsonHttp = <T>(request: JsonRequest<T>) => Promise<JsonResponse<T>>;

type ParsedBody = { ok: true; value: unknown } | { ok: false };

function parseBody(text: string): ParsedBody {
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function errorName(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "name" in error && typeof error.name === "string"
    ? error.name
    : undefined;
}

/** undici wraps socket failures as `TypeError("fetch failed")` with the system code on `cause`. */
function networkCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause: unknown = error.cause;
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
    return /^[A-Z0-9_]+$/.test(cause.code) ? cause.code : undefined;
  }
  return undefined;
}

export function createJsonHttp(options: JsonHttpOptions): JsonHttp {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { provider } = options;

  function transportError(operation: string, error: unknown): IntegrationError {
    if (errorName(error) === "TimeoutError") {
      return new IntegrationError({
        provider,
        code: "timeout",
        status: null,
        retryable: true,
        message: `${provider} ${operation} timed out after ${timeoutMs} ms`,
      });
    }
    const code = networkCode(error);
    return new IntegrationError({
      provider,
      code: "network",
      status: null,
      retryable: true,
      message: `${provider} ${operation} failed: network error${code ? ` (${code})` : ""}`,
    });
  }

  async function send(request: JsonRequest<unknown>): Promise<{ response: Response; text: string }> {
    const url = new URL(baseUrl + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (request.body !== undefined) headers["content-type"] = "application/json";

    await options.beforeRequest?.();
    try {
      const response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        // A redirect would carry the API key header to wherever it points.
        redirect: "manual",
        // Covers reading the body too, so a server that stalls mid-body still times out.
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { response, text: await response.text() };
    } catch (error) {
      throw transportError(request.operation, error);
    }
  }

  return async function requestJson<T>(request: JsonRequest<T>): Promise<JsonResponse<T>> {
    const { response, text } = await send(request);
    const body = parseBody(text);
    const { status } = response;

    if (status < 200 || status > 299) {
      const { code, retryable } = classifyHttpStatus(status);
      const rawDetail = body.ok ? options.errorDetail(body.value) : null;
      const detail = rawDetail ? redact(rawDetail, options.secrets) : null;
      throw new IntegrationError({
        provider,
        code,
        status,
        retryable,
        retryAfterMs: retryable ? parseRetryAfter(response.headers.get("retry-after")) : null,
        message: `${provider} ${request.operation} failed: HTTP ${status} (${code})${detail ? `: ${detail}` : ""}`,
        detail,
      });
    }

    const parsed = body.ok ? request.schema.safeParse(body.value) : null;
    if (!parsed?.success) {
      // Issue paths only: zod messages could quote values from the body.
      const detail = parsed
        ? `unexpected shape at ${parsed.error.issues.map((issue) => issue.path.join(".") || "(root)").join(", ")}`
        : "body is not JSON";
      throw new IntegrationError({
        provider,
        code: "bad_response",
        status,
        retryable: false,
        message: `${provider} ${request.operation} returned an unusable response (HTTP ${status}): ${detail}`,
        detail,
      });
    }
    return { status, data: parsed.data };
  };
}
