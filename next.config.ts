import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers and wasm stay outside the bundle: they load native/wasm assets at run time.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "pino", "ioredis"],
  poweredByHeader: false,
  // `npm test` type-checks the whole project with tsc; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  // The Dockerfile sets NEXT_OUTPUT=standalone: a self-contained server.js with only the traced
  // node_modules. Everywhere else (`npm start`, `next start`, the tests, Vercel) the default output.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" as const } : {}),
};

export default nextConfig;
