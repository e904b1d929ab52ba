import type { Database } from "../db";

// Workers' signs of life, the only writer of WorkerHeartbeat. A long-lived worker beats every
// few seconds from its loop and deletes its row when it stops; a serverless drain beats once per
// call. Readiness (lib/observability/health.ts) wants at least one fresh beat.

export type HeartbeatKind = "worker" | "drain";

/** Rows older than this are dropped when anyone beats: a worker that died leaves no row for long. */
const FORGET_AFTER = "1 day";

export async function beat(db: Database, workerId: string, kind: HeartbeatKind): Promise<void> {
  await db.sql(
    `WITH forgotten AS (DELETE FROM "WorkerHeartbeat" WHERE "beatAt" < now() - interval '${FORGET_AFTER}')
     INSERT INTO "WorkerHeartbeat" ("workerId", kind, "startedAt", "beatAt") VALUES ($1, $2, now(), now())
     ON CONFLICT ("workerId") DO UPDATE SET "beatAt" = now()
     RETURNING "workerId"`,
    [workerId, kind],
    { prepare: "heartbeat_beat" },
  );
}

/** A worker that stops says so, so readiness does not count it until its beat goes stale. */
export async function forgetWorker(db: Database, workerId: string): Promise<void> {
  await db.sql(`DELETE FROM "WorkerHeartbeat" WHERE "workerId" = $1 RETURNING "workerId"`, [workerId]);
}

export interface Heartbeats {
  /** Seconds since the freshest beat; null when no worker has beaten. */
  freshestAgeSeconds: number | null;
  /** Workers that beat within `freshWithinMs`. */
  fresh: number;
}

export async function readHeartbeats(db: Database, freshWithinMs: number): Promise<Heartbeats> {
  const [row] = await db.sql<{ freshestAgeSeconds: number | null; fresh: number }>(
    `SELECT EXTRACT(EPOCH FROM (now() - max("beatAt")))::float8 AS "freshestAgeSeconds",
            count(*) FILTER (WHERE "beatAt" >= now() - make_interval(secs => $1::float8 / 1000))::int AS fresh
       FROM "WorkerHeartbeat"`,
    [freshWithinMs],
  );
  return { freshestAgeSeconds: row?.freshestAgeSeconds ?? null, fresh: row?.fresh ?? 0 };
}
