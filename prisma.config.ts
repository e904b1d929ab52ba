import { defineConfig } from "prisma/config";

// DATABASE_URL is optional: without it the app runs on embedded PGlite, and `prisma generate`
// needs no database at all. Only the Prisma CLI's migrate commands use this URL.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/entitled" },
});
