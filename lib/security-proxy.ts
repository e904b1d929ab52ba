import { NextResponse, type NextRequest } from "next/server";
import {
  API_POLICY,
  CHAT_PATH,
  corsDecision,
  corsHeaders,
  isAdminPath,
  newNonce,
  pagePolicy,
  preflightHeaders,
  REFERRER_POLICY,
  type SecurityEnv,
} from "./http-security";

// What proxy.ts does on every request (see lib/http-security.ts for the policy itself).

function common(response: NextResponse, pathname: string): NextResponse {
  response.headers.set("x-content-type-options", "nosniff");
  response.headers.set("referrer-policy", REFERRER_POLICY);
  if (isAdminPath(pathname)) response.headers.set("cache-control", "no-store");
  return response;
}

const isApi = (pathname: string) => pathname === "/api" || pathname.startsWith("/api/");

export function securityProxy(request: NextRequest, config: SecurityEnv): NextResponse {
  const { pathname } = request.nextUrl;

  if (!isApi(pathname)) {
    // A page: a fresh nonce, put where Next.js reads it (the request's CSP header) and on the response.
    const nonce = newNonce();
    const policy = pagePolicy(pathname, nonce, config);
    const headers = new Headers(request.headers);
    headers.set("x-nonce", nonce);
    headers.set("content-security-policy", policy);
    const response = NextResponse.next({ request: { headers } });
    response.headers.set("content-security-policy", policy);
    return common(response, pathname);
  }

  if (pathname === CHAT_PATH) {
    const decision = corsDecision(request, config);
    if (decision.kind === "refused") {
      // Before the route runs: nothing is read or written, and no CORS header lets a page read this.
      return common(NextResponse.json({ error: "origin not allowed" }, { status: 403, headers: { "content-security-policy": API_POLICY, vary: "Origin" } }), pathname);
    }
    if (decision.kind === "allowed") {
      if (request.method === "OPTIONS") {
        return common(new NextResponse(null, { status: 204, headers: { ...preflightHeaders(decision.origin), "content-security-policy": API_POLICY } }), pathname);
      }
      const response = NextResponse.next();
      for (const [key, value] of Object.entries(corsHeaders(decision.origin))) response.headers.set(key, value);
      response.headers.set("content-security-policy", API_POLICY);
      return common(response, pathname);
    }
  }

  const response = NextResponse.next();
  response.headers.set("content-security-policy", API_POLICY);
  return common(response, pathname);
}
