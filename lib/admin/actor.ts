// Who did an admin action: a signed-in admin (the console) or the bearer ADMIN_TOKEN (scripts).
// Always the authenticated principal, never a name a request body carries.

export type Actor = { kind: "admin"; adminId: string; email: string; name: string } | { kind: "token" };

/** The audit log's spelling: "admin:<email>" or "api-token". */
export const actorLabel = (actor: Actor): string => (actor.kind === "admin" ? `admin:${actor.email}` : "api-token");
