import type { Database } from "../db";
import { discardDeadJob, type DeadJob } from "../jobs/queue";
import { writeAudit, type AuditRow } from "./audit";
import type { Actor } from "./actor";

// Dead letters: jobs the outbox gave up on. Listing them is GET /api/admin/jobs?status=dead and
// a replay puts one back in the queue (lib/admin/api.ts); this is the other way out: discarding
// one, on purpose and with a reason, so it leaves the dead-letter queue without running.

export type DiscardResult = { ok: true; job: DeadJob; audit: AuditRow } | { ok: false; problem: "not_found" } | { ok: false; problem: "not_dead"; status: string };

/** Discards a dead job and writes its audit row in the same transaction; anything else writes nothing. */
export async function discardDeadLetter(db: Database, jobId: string, by: { actor: Actor; reason: string }): Promise<DiscardResult> {
  return db.transaction(async (tx) => {
    const outcome = await discardDeadJob(tx, jobId);
    if (!outcome.discarded) return outcome.status === null ? { ok: false, problem: "not_found" } : { ok: false, problem: "not_dead", status: outcome.status };
    const { job } = outcome;
    const audit = await writeAudit(tx, {
      actor: by.actor,
      action: "job.discard",
      reason: by.reason,
      customerId: job.customerId,
      correlationId: job.id,
      before: { status: "dead", kind: job.kind, attempts: job.attempts, lastError: job.lastError },
      after: { status: "discarded" },
    });
    return { ok: true, job, audit };
  });
}
