import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Env } from "./config";

// The browser-facing security policy, in one place (proxy.ts applies it to every request):
//
// - pages: a content security policy with a per-request nonce (Next.js puts it on its own
//   scripts; no other inline script runs), framable by no one except `/widget`, which the app's
//   own pages and the WIDGET_ALLOWED_ORIGINS host sites may frame;
// - `/api/chat`: CORS for exactly the WIDGET_ALLOWED_ORIGINS (the widget itself is same-origin);
//   a browser request from any other origin is refused before the route runs;
// - every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy`; the console's pages and
//   admin API: `Cache-Control: no-store`;
// - `/api/metrics`: a bearer METRICS_TOKEN (in production the route is off without one).

export type SecurityEnv = Pick<Env, "WIDGET_ALLOWED_ORIGINS" | "PUBLIC_URL" | "APP_MODE" | "NODE_ENV">;

export const REFERRER_POLICY = "strict-origin-when-cross-origin";
export const WIDGET_PATH = "/widget";
export const CHAT_PATH = "/api/chat";

/** A fresh nonce for one response (128 random bits, base64). */
export const newNonce = () => randomBytes(16).toString("base64");

const isWidgetPath = (pathname: string) => pathname === WIDGET_PATH || pathname.startsWith(`${WIDGET_PATH}/`);

/** Whether a path is the console's (its pages and its API): never stored by a cache. */
export const isAdminPath = (pathname: string) => /^\/(?:api\/)?admin(?:\/|$)/.test(pathname);

/** Who may frame the page at `pathname`: the widget its own app and the allowed host sites; anything else no one. */
export function frameAncestors(pathname: string, config: Pick<SecurityEnv, "WIDGET_ALLOWED_ORIGINS">): string {
  return isWidgetPath(pathname) ? ["'self'", ...config.WIDGET_ALLOWED_ORIGINS].join(" ") : "'none'";
}

/**
 * The content security policy of a page. Scripts: only those carrying the nonce, and what they
 * load ('strict-dynamic'); `next dev` also needs 'unsafe-eval' (React's debugging) and its
 * websocket, never outside development. Styles may be inline (React `style` attributes).
 */
export function pagePolicy(pathname: string, nonce: string, config: SecurityEnv): string {
  const dev = config.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors(pathname, config)}`,
  ].join("; ");
}

/** The policy of every non-page response (JSON, scripts, metrics): loads nothing, framed by no one. */
export const API_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** The origin of a URL, or null when it is not one. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** The origins a request to this app counts as same-origin from: its URL's, its Host header's and PUBLIC_URL's (the chat's CORS and the console's guard). */
export function ownOrigins(request: Request, config: Pick<SecurityEnv, "PUBLIC_URL">): Set<string> {
  const url = new URL(request.url);
  const origins = new Set([url.origin]);
  const host = request.headers.get("host");
  for (const candidate of [host ? `${url.protocol}//${host}` : null, config.PUBLIC_URL ?? null]) {
    const origin = candidate ? originOf(candidate) : null;
    if (origin) origins.add(origin);
  }
  return origins;
}

export type CorsDecision =
  /** No Origin header (not a browser's cross-origin request) or the app's own origin: nothing to add. */
  | { kind: "same-origin" }
  /** An allowed host site: answer with these headers. */
  | { kind: "allowed"; origin: string }
  /** Any other origin: refused. */
  | { kind: "refused"; origin: string };

export function corsDecision(request: Request, config: Pick<SecurityEnv, "WIDGET_ALLOWED_ORIGINS" | "PUBLIC_URL">): CorsDecision {
  const origin = request.headers.get("origin");
  // Sec-Fetch-Site is set by the browser alone (no script can): it still says same-origin behind
  // a TLS proxy that hides the public scheme or host from the request's URL.
  if (origin === null || request.headers.get("sec-fetch-site") === "same-origin") return { kind: "same-origin" };
  const normalized = originOf(origin);
  if (normalized !== null && normalized !== "null") {
    if (ownOrigins(request, config).has(normalized)) return { kind: "same-origin" };
    if (config.WIDGET_ALLOWED_ORIGINS.includes(normalized)) return { kind: "allowed", origin: normalized };
  }
  return { kind: "refused", origin };
}

/** The CORS headers for an allowed origin's actual request. No credentials: the chat authenticates with a bearer token. */
export const corsHeaders = (origin: string): Record<string, string> => ({ "access-control-allow-origin": origin, vary: "Origin" });

/** The CORS headers answering an allowed origin's preflight. */
export const preflightHeaders = (origin: string): Record<string, string> => ({
  ...corsHeaders(origin),
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type",
  "access-control-max-age": "600",
});

function sameSecret(given: string, expected: string): boolean {
  // Hash both sides: equal lengths for timingSafeEqual, and no early exit on a length difference.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Whether /api/metrics may answer this request: with METRICS_TOKEN set, only to
 * `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise); without it, only outside production
 * (404 in production: the route is off until a token is configured). Null: go ahead.
 */
export function metricsRefusal(request: Request, config: Pick<Env, "METRICS_TOKEN" | "APP_MODE">): Response | null {
  if (!config.METRICS_TOKEN) {
    return config.APP_MODE === "production" ? Response.json({ error: "not found" }, { status: 404 }) : null;
  }
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match && sameSecret(match[1]!, config.METRICS_TOKEN)) return null;
  return Response.json({ error: "unauthorized" }, { status: 401, headers: { "www-authenticate": 'Bearer realm="metrics"' } });
}
