import crypto from "node:crypto";
import { getIronSession, type IronSession, type SessionOptions } from "iron-session";
import { z } from "zod";
import type { Session } from "../db";
import type { Runtime } from "../runtime";
import type { Actor } from "./actor";

// Console sessions: the only writer of AdminSession.
//
// iron-session (pinned in package.json) seals the cookie: encrypted and signed with
// SESSION_SECRET, so a browser can neither read nor forge it. It holds only a random session
// token; the database keeps the token's SHA-256 with the admin and the expiry, so sign-out and
// expiry are real (deleting the row ends the session on every device the cookie was copied to)
// and a read of the table yields no usable session.
//
// Lifetime: 12 hours after the last request, sliding, and never more than 7 days after sign-in.
// The cookie lives the 7 days (and the seal says so too); the row decides the rest.

export type AdminActor = Extract<Actor, { kind: "admin" }>;

export const SESSION_COOKIE = "entitled_admin_session";
export const SESSION_IDLE_SECONDS = 12 * 3600;
export const SESSION_MAX_SECONDS = 7 * 24 * 3600;

/** What the sealed cookie holds. */
export interface SessionData {
  token?: string;
}

/** 32 random bytes, base64url. */
const sessionToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

const hashToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

export function sessionOptions(deps: Pick<Runtime, "env" | "sessionSecret">): SessionOptions {
  return {
    cookieName: SESSION_COOKIE,
    password: deps.sessionSecret,
    ttl: SESSION_MAX_SECONDS,
    cookieOptions: { httpOnly: true, sameSite: "strict", secure: deps.env.APP_MODE === "production", path: "/" },
  };
}

/**
 * The request's session cookie, opened; `response` receives the Set-Cookie of `save()` or
 * `destroy()`. A missing, forged or expired seal opens as an empty session.
 */
export function sessionCookie(request: Request, response: Response, deps: Pick<Runtime, "env" | "sessionSecret">): Promise<IronSession<SessionData>> {
  return getIronSession<SessionData>(request, response, sessionOptions(deps));
}

/** The token a sealed session holds, if it holds a well-formed one. */
export function tokenOf(session: SessionData): string | null {
  const parsed = sessionToken.safeParse(session.token);
  return parsed.success ? parsed.data : null;
}

/** Opens a session for the admin: a new token (returned, to seal into the cookie) and its row. */
export async function openSession(db: Session, adminId: string): Promise<string> {
  const token = crypto.randomBytes(32).toString("base64url");
  // Signing in also clears this admin's expired rows, so the table does not grow without bound.
  await db.sql(
    `WITH pruned AS (DELETE FROM "AdminSession" WHERE "adminId" = $2 AND "expiresAt" <= now())
     INSERT INTO "AdminSession" ("tokenHash", "adminId", "expiresAt") VALUES ($1, $2, now() + $3::double precision * interval '1 second')`,
    [hashToken(token), adminId, SESSION_IDLE_SECONDS],
  );
  return token;
}

/**
 * The admin a session token belongs to, if the session is live; using it slides its expiry
 * (12 hours from now, capped at 7 days from sign-in). One statement: check and slide.
 */
export async function resumeSession(db: Session, token: string): Promise<AdminActor | null> {
  const [row] = await db.sql<{ adminId: string; email: string; name: string }>(
    `UPDATE "AdminSession" session
        SET "lastSeenAt" = now(),
            "expiresAt" = LEAST(now() + $2::double precision * interval '1 second', session."createdAt" + $3::double precision * interval '1 second')
       FROM "AdminUser" admin
      WHERE session."tokenHash" = $1 AND admin.id = session."adminId" AND session."expiresAt" > now()
      RETURNING admin.id AS "adminId", admin.email, admin.name`,
    [hashToken(token), SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS],
  );
  return row ? { kind: "admin", adminId: row.adminId, email: row.email, name: row.name } : null;
}

/** Ends the session the token names (nothing when there is none). */
export async function endSession(db: Session, token: string): Promise<void> {
  await db.sql(`DELETE FROM "AdminSession" WHERE "tokenHash" = $1`, [hashToken(token)]);
}
