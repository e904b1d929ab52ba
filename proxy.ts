import type { NextRequest } from "next/server";
import { env } from "@/lib/config";
import { securityProxy } from "@/lib/security-proxy";

// Security headers, the pages' nonce-based content security policy and the chat API's CORS
// (lib/http-security.ts).
export function proxy(request: NextRequest) {
  return securityProxy(request, env());
}

// Pages (everything but the API, Next.js's own files and the embed script) and the chat API.
// The rest of the API gets its headers from next.config.ts: the proxy would buffer every request
// body (webhooks included) for nothing.
export const config = {
  matcher: ["/((?!api/|_next/|favicon.ico|embed.js).*)", "/api/chat"],
};
