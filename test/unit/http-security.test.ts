import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../lib/config";
import { metricsRefusal, pagePolicy } from "../../lib/http-security";
import { securityProxy } from "../../lib/security-proxy";
import nextConfig from "../../next.config";

// The security headers and the chat API's CORS, through the proxy function itself (proxy.ts
// calls it with the parsed env) and next.config.ts's headers.

const APP = "http://app.test";
const HOST_SITE = "https://members.example.com";
const OTHER_SITE = "https://evil.example.net";
// `next start` runs in NODE_ENV production, the demo too.
const demo = parseEnv({ NODE_ENV: "production", WIDGET_ALLOWED_ORIGINS: `${HOST_SITE}, https://second.example.com/` });

const request = (path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
  new NextRequest(`${APP}${path}`, { method: init.method ?? "GET", headers: { host: "app.test", ...init.headers } });

/** Whether the proxy let the request through to the route (NextResponse.next()). */
const passedOn = (response: Response) => response.headers.get("x-middleware-next") === "1";

const directives = (policy: string) => new Map(policy.split("; ").map((part) => [part.split(" ")[0]!, part.split(" ").slice(1).join(" ")]));

describe("WIDGET_ALLOWED_ORIGINS", () => {
  it("is a list of normalised origins, none when unset", () => {
    expect(demo.WIDGET_ALLOWED_ORIGINS).toEqual([HOST_SITE, "https://second.example.com"]);
    expect(parseEnv({}).WIDGET_ALLOWED_ORIGINS).toEqual([]);
  });

  it.each(["members.example.com", "https://members.example.com/path", "ftp://x.example.com", "*", "https://a.example.com, nope"])("refuses %s", (value) => {
    expect(() => parseEnv({ WIDGET_ALLOWED_ORIGINS: value })).toThrow(/WIDGET_ALLOWED_ORIGINS: .* is not an origin/);
  });
});

describe("page headers", () => {
  it("puts a fresh nonce in the content security policy, on the response and where Next.js reads it", () => {
    const first = securityProxy(request("/"), demo);
    const second = securityProxy(request("/"), demo);
    const policy = first.headers.get("content-security-policy")!;
    const nonce = /'nonce-([^']+)'/.exec(policy)![1]!;
    expect(nonce).not.toBe(/'nonce-([^']+)'/.exec(second.headers.get("content-security-policy")!)![1]);
    // NextResponse.next({ request: { headers } }) passes the request headers on as x-middleware-request-*.
    expect(first.headers.get("x-middleware-request-content-security-policy")).toBe(policy);
    expect(first.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
    const parsed = directives(policy);
    expect(parsed.get("script-src")).toBe(`'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(parsed.get("script-src")).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(parsed.get("object-src")).toBe("'none'");
    expect(parsed.get("base-uri")).toBe("'self'");
    expect(parsed.get("frame-ancestors")).toBe("'none'");
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(first.headers.get("cache-control")).toBeNull();
  });

  it("lets the app itself and exactly the allowed host sites frame /widget", () => {
    const policy = securityProxy(request("/widget"), demo).headers.get("content-security-policy")!;
    expect(directives(policy).get("frame-ancestors")).toBe(`'self' ${HOST_SITE} https://second.example.com`);
    const production = parseEnv({ NODE_ENV: "production" });
    expect(directives(pagePolicy("/widget", "n", production)).get("frame-ancestors")).toBe("'self'");
  });

  it("allows 'unsafe-eval' (React refresh) only in development", () => {
    const dev = parseEnv({ NODE_ENV: "development" });
    expect(directives(pagePolicy("/", "n", dev)).get("script-src")).toContain("'unsafe-eval'");
    for (const NODE_ENV of ["production", "test"]) expect(pagePolicy("/", "n", parseEnv({ NODE_ENV }))).not.toContain("unsafe-eval");
  });

  it.each(["/admin", "/admin/login", "/admin/customers/abc"])("keeps %s out of every cache", (path) => {
    expect(securityProxy(request(path), demo).headers.get("cache-control")).toBe("no-store");
  });

  it("sets nosniff, the referrer policy, an API policy and no-store (admin API) on every API response (next.config.ts)", async () => {
    const rules = await nextConfig.headers!();
    const matching = (path: string) =>
      rules
        .filter((rule) => new RegExp(`^${rule.source.replace("/:path*", "(?:/.*)?")}$`).test(path))
        .flatMap((rule) => rule.headers)
        .reduce<Record<string, string>>((all, header) => ({ ...all, [header.key.toLowerCase()]: header.value }), {});
    expect(matching("/api/webhooks/stripe")).toEqual({
      "x-content-type-options": "nosniff",
      "referrer-policy": "strict-origin-when-cross-origin",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    });
    expect(matching("/api/admin/customers")["cache-control"]).toBe("no-store");
    expect(matching("/admin/login")["cache-control"]).toBe("no-store");
    expect(matching("/api/health")["cache-control"]).toBeUndefined();
  });
});

describe("CORS on /api/chat", () => {
  it("answers an allowed origin's preflight", () => {
    const response = securityProxy(request("/api/chat", { method: "OPTIONS", headers: { origin: HOST_SITE, "access-control-request-method": "POST" } }), demo);
    expect(response.status).toBe(204);
    expect(passedOn(response)).toBe(false);
    expect(response.headers.get("access-control-allow-origin")).toBe(HOST_SITE);
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toBe("Origin");
  });

  it("passes an allowed origin's requests on, with its CORS header", () => {
    for (const method of ["POST", "GET"]) {
      const response = securityProxy(request("/api/chat", { method, headers: { origin: HOST_SITE } }), demo);
      expect(passedOn(response)).toBe(true);
      expect(response.headers.get("access-control-allow-origin")).toBe(HOST_SITE);
    }
  });

  it.each([
    ["another site", OTHER_SITE],
    ["an allowed site's other scheme", "http://members.example.com"],
    ["a sandboxed frame", "null"],
  ])("refuses %s before the route runs (nothing read or written), with no CORS header", (_case, origin) => {
    for (const method of ["OPTIONS", "POST", "GET"]) {
      const response = securityProxy(request("/api/chat", { method, headers: { origin, "sec-fetch-site": "cross-site" } }), demo);
      expect(response.status).toBe(403);
      expect(passedOn(response)).toBe(false);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("refuses every cross-origin browser request when no origin is allowed (the production default)", () => {
    const production = parseEnv({ NODE_ENV: "production" });
    expect(securityProxy(request("/api/chat", { method: "POST", headers: { origin: HOST_SITE } }), production).status).toBe(403);
  });

  it("leaves same-origin requests and requests with no Origin (servers, scripts) alone", () => {
    const publicUrl = parseEnv({ NODE_ENV: "production", PUBLIC_URL: "https://support.example.com" });
    for (const [headers, config] of [
      [{ origin: APP }, demo],
      [{}, demo],
      [{ origin: "https://support.example.com" }, publicUrl],
      // Behind a TLS proxy without PUBLIC_URL: the browser's own word that the request is same-origin.
      [{ origin: "https://support.example.com", "sec-fetch-site": "same-origin" }, demo],
    ] as const) {
      const response = securityProxy(request("/api/chat", { method: "POST", headers }), config);
      expect(passedOn(response)).toBe(true);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
  });
});

describe("/api/metrics", () => {
  const metrics = (authorization?: string) => new Request(`${APP}/api/metrics`, { headers: authorization ? { authorization } : {} });
  const TOKEN = "metrics-token-for-the-test";

  it("is open outside production without a token, and off (404) in production without one", () => {
    expect(metricsRefusal(metrics(), { METRICS_TOKEN: undefined, APP_MODE: "demo" })).toBeNull();
    expect(metricsRefusal(metrics(`Bearer ${TOKEN}`), { METRICS_TOKEN: undefined, APP_MODE: "production" })?.status).toBe(404);
  });

  it.each(["demo", "production"] as const)("needs the bearer METRICS_TOKEN when it is set (%s)", (APP_MODE) => {
    const config = { METRICS_TOKEN: TOKEN, APP_MODE };
    expect(metricsRefusal(metrics(`Bearer ${TOKEN}`), config)).toBeNull();
    expect(metricsRefusal(metrics(`bearer ${TOKEN}`), config)).toBeNull();
    for (const header of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, "Bearer "]) {
      const refusal = metricsRefusal(metrics(header), config);
      expect(refusal?.status).toBe(401);
      expect(refusal?.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });
});
