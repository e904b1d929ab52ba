// Who did an admin action: a signed-in admin (the console), the bearer ADMIN_TOKEN (scripts), or
// an operator at the server's shell running a command (npm run admin:create), named by the
// operating system. Always the authenticated principal, never a name a request body carries.

export type Actor = { kind: "admin"; adminId: string; email: string; name: string } | { kind: "token" } | { kind: "operator"; user: string };

/** The audit log's spelling: "admin:<email>", "api-token" or "operator:<os user>". */
export const actorLabel = (actor: Actor): string =>
  actor.kind === "admin" ? `admin:${actor.email}` : actor.kind === "token" ? "api-token" : `operator:${actor.user}`;
