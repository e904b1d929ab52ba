import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getIronSession } from "iron-session";
import type { Env } from "../config";
import type { Runtime } from "../runtime";
import { isAdmin } from "../auth";
import { originOf, ownOrigins } from "../http-security";
import { rejection } from "../webhooks/http";
import type { Actor } from "./actor";
import { resumeSession, sessionCookie, sessionOptions, tokenOf, type AdminActor, type SessionData } from "./session";

// Every admin route starts here: who is asking (the bearer ADMIN_TOKEN for scripts, or a
// console session), and, for a state-changing request made with a session cookie, that it
// comes from the console's own origin (cross-site requests are refused). Pages use
// currentAdmin / requireAdminPage.

/** What the guard needs: the runtime's env (the token, PUBLIC_URL, the mode), database and session secret. */
export type GuardDeps = Pick<Runtime, "env" | "db" | "sessionSecret">;

export type Authorized = { ok: true; actor: Actor } | { ok: false; response: Response };

const SAFE_METHODS = new Set(["GET", "HEAD"]);

export const LOGIN_PATH = "/admin/login";

/**
 * Whether a request comes from the console's own pages: its Origin is one of ours or, when a
 * browser sent none, Sec-Fetch-Site says same-origin. A request with neither is refused.
 */
export function isSameOrigin(request: Request, env: Pick<Env, "PUBLIC_URL">): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null) {
    const normalized = originOf(origin);
    return normalized !== null && ownOrigins(request, env).has(normalized);
  }
  return request.headers.get("sec-fetch-site") === "same-origin";
}

export const crossSiteRefusal = () => rejection(403, "cross-site request refused");

/** The bearer ADMIN_TOKEN, or a live console session; 401, or 403 for a cross-site state change. */
export async function authorizeAdmin(request: Request, deps: GuardDeps): Promise<Authorized> {
  if (isAdmin(request, deps.env)) return { ok: true, actor: { kind: "token" } };
  // The response is only written by save() and destroy(), which a guard never calls.
  const token = tokenOf(await sessionCookie(request, new Response(null), deps));
  if (!token) return { ok: false, response: rejection(401, "sign in, or send the admin token") };
  // Checked before the session is touched: a refused request changes nothing, not even its expiry.
  if (!SAFE_METHODS.has(request.method) && !isSameOrigin(request, deps.env)) return { ok: false, response: crossSiteRefusal() };
  const admin = await resumeSession(deps.db, token);
  if (!admin) return { ok: false, response: rejection(401, "your session has ended: sign in again") };
  return { ok: true, actor: admin };
}

/**
 * The signed-in admin of the page being rendered (the session cookie, through next/headers),
 * or null. Once per request: a layout and its page asking both share one answer.
 */
export const currentAdmin = cache(async (deps: GuardDeps): Promise<AdminActor | null> => {
  const session = await getIronSession<SessionData>(await cookies(), sessionOptions(deps));
  const token = tokenOf(session);
  return token ? resumeSession(deps.db, token) : null;
});

/** For console pages: the signed-in admin, or a redirect to the sign-in page. */
export async function requireAdminPage(deps: GuardDeps): Promise<AdminActor> {
  const admin = await currentAdmin(deps);
  if (!admin) redirect(LOGIN_PATH);
  return admin;
}
