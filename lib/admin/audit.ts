import type { Session } from "../db";
import { actorLabel, type Actor } from "./actor";

// The audit trail of admin actions. Written inside the caller's transaction, with the change
// it records: an action without its audit row cannot happen.

/** What writeAudit records: an action by an actor (an AuditRow once written). */
export interface AuditEntry {
  actor: Actor;
  action: string;
  reason: string | null;
  customerId: string | null;
  before: unknown;
  after: unknown;
  /** What the action was about (a ticket id, a job id, an event id). */
  correlationId?: string | null;
}

export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  correlationId: string | null;
  customerId: string | null;
  at: Date;
}

/** An audit row as the overrides API shows it: no correlation or customer id, `at` as ISO text. */
export type AuditView = Omit<AuditRow, "correlationId" | "customerId" | "at"> & { at: string };

export const auditView = (row: AuditRow): AuditView => ({
  id: row.id,
  actor: row.actor,
  action: row.action,
  reason: row.reason,
  before: row.before,
  after: row.after,
  at: new Date(row.at).toISOString(),
});

export async function writeAudit(tx: Session, entry: AuditEntry): Promise<AuditRow> {
  const [row] = await tx.sql<AuditRow & Record<string, unknown>>(
    `INSERT INTO "AuditLog" (id, actor, action, reason, "customerId", "correlationId", before, after)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
     RETURNING id, actor, action, reason, before, after, "correlationId", "customerId", "createdAt" AS at`,
    [
      actorLabel(entry.actor),
      entry.action,
      entry.reason,
      entry.customerId,
      entry.correlationId ?? null,
      JSON.stringify(entry.before ?? null),
      JSON.stringify(entry.after ?? null),
    ],
  );
  if (!row) throw new Error("audit row not written");
  return row;
}

/** A customer's audit trail, newest first. */
export async function readAuditTrail(session: Session, customerId: string, limit = 200): Promise<AuditRow[]> {
  return session.sql<AuditRow & Record<string, unknown>>(
    `SELECT id, actor, action, reason, before, after, "correlationId", "customerId", "createdAt" AS at
       FROM "AuditLog" WHERE "customerId" = $1 ORDER BY "createdAt" DESC, id LIMIT $2`,
    [customerId, limit],
  );
}
