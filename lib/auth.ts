import crypto from "node:crypto";
import type { Env } from "./config";

// The admin API's credential for scripts: the bearer ADMIN_TOKEN (audit actor "api-token").
// People sign in to the console with their own accounts instead (lib/admin/session.ts); both
// are checked by lib/admin/guard.ts. Outside production an unset ADMIN_TOKEN falls back to a
// documented demo token; production refuses to start without a real one (lib/config.ts).

export const DEMO_ADMIN_TOKEN = "demo-admin-token";

export function adminToken(config: Env): string {
  return config.ADMIN_TOKEN ?? (config.APP_MODE === "production" ? "" : DEMO_ADMIN_TOKEN);
}

function bearer(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim() ?? null;
}

export function isAdmin(request: Request, config: Env): boolean {
  const expected = adminToken(config);
  const given = bearer(request);
  if (!expected || !given) return false;
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
