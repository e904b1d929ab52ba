import type { NextConfig } from "next";
import { API_POLICY, REFERRER_POLICY } from "./lib/http-security";

const nextConfig: NextConfig = {
  // Database drivers and wasm stay outside the bundle: they load native/wasm assets at run time.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "pino", "ioredis"],
  poweredByHeader: false,
  // Security headers on every response (lib/http-security.ts); proxy.ts adds the pages' content
  // security policy with its nonce and the chat API's CORS, and sets these again on what it answers.
  async headers() {
    const everywhere = [
      { key: "X-Content-Type-Options", value: "nosniff" },
      { key: "Referrer-Policy", value: REFERRER_POLICY },
    ];
    return [
      { source: "/:path*", headers: everywhere },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_POLICY }] },
      { source: "/api/admin/:path*", headers: [{ key: "Cache-Control", value: "no-store" }] },
      { source: "/admin/:path*", headers: [{ key: "Cache-Control", value: "no-store" }] },
    ];
  },
  // `npm test` type-checks the whole project with tsc; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  // The Dockerfile sets NEXT_OUTPUT=standalone: a self-contained server.js with only the traced
  // node_modules. Everywhere else (`npm start`, `next start`, the tests, Vercel) the default output.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" as const } : {}),
};

export default nextConfig;
