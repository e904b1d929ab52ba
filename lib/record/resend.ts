import type { Database } from "../db";
import { enqueue } from "../jobs/queue";
import { customerLockKey } from "../lifecycle/engine";
import { dedupeKey } from "../lifecycle/intents";
import { findCustomerId } from "./record";

// "Send my invite again": for a paying customer whose community access is pending, invited or
// failed, at most once per customer per 15 minutes. The window is kept in the database (the
// audit log of resends), not in a timer, so every instance agrees.

export const RESEND_WINDOW_MS = 15 * 60_000;

export type ResendOutcome =
  | { result: "queued"; groups: number }
  | { result: "already_queued"; reason: string }
  | { result: "already_active" }
  | { result: "not_eligible"; reason: string };

export async function requestInviteResend(db: Database, identity: string, now = new Date()): Promise<ResendOutcome> {
  const customerId = await findCustomerId(db, identity);
  if (!customerId) return { result: "not_eligible", reason: "no purchase is linked to this email address" };
  return db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, customerLockKey(customerId));
    const entitlements = await tx.entitlement.findMany({ where: { customerId } });
    if (!entitlements.some((entitlement) => entitlement.status === "active" || entitlement.status === "trialing")) {
      return { result: "not_eligible" as const, reason: "there is no active membership on this account" };
    }
    const grants = await tx.accessGrant.findMany({ where: { customerId } });
    const resendable = grants.filter((grant) => grant.state === "pending" || grant.state === "invited" || grant.state === "failed");
    if (resendable.length === 0) {
      return grants.some((grant) => grant.state === "active")
        ? { result: "already_active" as const }
        : { result: "not_eligible" as const, reason: "the membership includes no community access" };
    }
    const recent = await tx.auditLog.findFirst({
      where: { customerId, action: "access.resend", createdAt: { gt: new Date(now.getTime() - RESEND_WINDOW_MS) } },
    });
    if (recent) return { result: "already_queued" as const, reason: "an invite was resent less than 15 minutes ago" };
    const inFlight = await tx.job.count({ where: { customerId, kind: "circle.grant", status: { in: ["queued", "running"] } } });
    if (inFlight > 0) return { result: "already_queued" as const, reason: "the invite is already on its way" };

    for (const grant of resendable) {
      const intent = { kind: "circle.grant" as const, accessGroupId: grant.accessGroupId, version: grant.version + 1 };
      await tx.accessGrant.update({ where: { id: grant.id }, data: { state: "pending", version: intent.version, lastError: null } });
      await enqueue(tx, [{ kind: intent.kind, payload: { ...intent, customerId }, dedupeKey: dedupeKey(customerId, intent), customerId }]);
    }
    await tx.auditLog.create({
      data: { actor: "customer", action: "access.resend", customerId, reason: "asked the support chat to resend the community invite" },
    });
    return { result: "queued" as const, groups: resendable.length };
  });
}
