import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers and wasm stay outside the bundle: they load native/wasm assets at run time.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "pino", "ioredis"],
  poweredByHeader: false,
};

export default nextConfig;
