import { z } from "zod";
import type { Env } from "../config";
import type { Database } from "../db";
import { readHeartbeats } from "../jobs/heartbeat";
import { dueWork } from "../jobs/queue";

// Liveness and readiness. Liveness: the process answers. Readiness: the database answers, some
// worker (or serverless drain) has beaten recently, and the oldest due job has not waited past
// the alert threshold. The decision is a pure function of what was read (`assessReadiness`);
// `checkReadiness` does the reading.

export interface ReadinessThresholds {
  /** No beat within this long: no worker is running. */
  maxHeartbeatAgeMs: number;
  /** The oldest due job waited longer than this: the queue is not keeping up. */
  maxQueueAgeMs: number;
}

/** What readiness is decided from. Null heartbeat or queue readings: they could not be read (the database failed). */
export interface ReadinessInputs {
  databaseError: string | null;
  /** Which database answered (reported, not judged); null when none did. */
  databaseKind: Database["kind"] | null;
  /** Seconds since the freshest heartbeat; null when no worker has ever beaten (or the row was removed). */
  freshestHeartbeatAgeSeconds: number | null;
  /** Seconds the oldest due job has waited; null when none is due. */
  oldestDueAgeSeconds: number | null;
}

export type ReadinessCheck = "database" | "worker_heartbeat" | "queue_age";

export interface Readiness {
  status: "ready" | "unavailable";
  database: Database["kind"] | null;
  /** One plain sentence per failed check; empty when ready. */
  reasons: string[];
  failed: ReadinessCheck[];
}

const seconds = (value: number) => `${Math.round(value)} s`;

export function assessReadiness(inputs: ReadinessInputs, thresholds: ReadinessThresholds): Readiness {
  if (inputs.databaseError !== null) {
    return { status: "unavailable", database: null, reasons: [`the database is unreachable (${inputs.databaseError})`], failed: ["database"] };
  }
  const reasons: string[] = [];
  const failed: ReadinessCheck[] = [];
  const maxBeat = thresholds.maxHeartbeatAgeMs / 1000;
  if (inputs.freshestHeartbeatAgeSeconds === null) {
    failed.push("worker_heartbeat");
    reasons.push("no worker heartbeat: no worker or drain is running");
  } else if (inputs.freshestHeartbeatAgeSeconds > maxBeat) {
    failed.push("worker_heartbeat");
    reasons.push(`no fresh worker heartbeat: the freshest is ${seconds(inputs.freshestHeartbeatAgeSeconds)} old (limit ${seconds(maxBeat)})`);
  }
  const maxQueue = thresholds.maxQueueAgeMs / 1000;
  if (inputs.oldestDueAgeSeconds !== null && inputs.oldestDueAgeSeconds > maxQueue) {
    failed.push("queue_age");
    reasons.push(`the oldest due job has waited ${seconds(inputs.oldestDueAgeSeconds)} (limit ${seconds(maxQueue)})`);
  }
  return { status: failed.length === 0 ? "ready" : "unavailable", database: inputs.databaseKind, reasons, failed };
}

/** The database's error in words that quote no connection string or credential. */
function describeDatabaseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /^[\w-]{1,32}$/.test(code) ? `error ${code}` : "no answer";
}

/** Reads what readiness needs; a database that cannot be reached (or opened) is a reading too. */
export async function readReadinessInputs(openDb: () => Promise<Database>, thresholds: ReadinessThresholds): Promise<ReadinessInputs> {
  try {
    const db = await openDb();
    await db.sql("SELECT 1 AS ok");
    const [heartbeats, due] = await Promise.all([readHeartbeats(db, thresholds.maxHeartbeatAgeMs), dueWork(db)]);
    return {
      databaseError: null,
      databaseKind: db.kind,
      freshestHeartbeatAgeSeconds: heartbeats.freshestAgeSeconds,
      oldestDueAgeSeconds: due.oldestDueAgeMs === null ? null : due.oldestDueAgeMs / 1000,
    };
  } catch (error) {
    return { databaseError: describeDatabaseError(error), databaseKind: null, freshestHeartbeatAgeSeconds: null, oldestDueAgeSeconds: null };
  }
}

export async function checkReadiness(openDb: () => Promise<Database>, thresholds: ReadinessThresholds): Promise<Readiness> {
  return assessReadiness(await readReadinessInputs(openDb, thresholds), thresholds);
}

/** `?ready`, `?ready=1` or `?ready=true` ask for readiness; anything else in `ready` is a 400. */
const healthQuery = z.object({ ready: z.enum(["", "1", "true", "0", "false"]).optional() });

export type HealthQuery = { ok: true; readiness: boolean } | { ok: false; error: string };

export function parseHealthQuery(url: string): HealthQuery {
  const parsed = healthQuery.safeParse({ ready: new URL(url).searchParams.get("ready") ?? undefined });
  if (!parsed.success) return { ok: false, error: "ready must be 1, true, 0 or false" };
  return { ok: true, readiness: parsed.data.ready === "" || parsed.data.ready === "1" || parsed.data.ready === "true" };
}

/** The HTTP answer: 200 `{status, database}` when ready, 503 with the reasons and the failed checks when not. */
export function readinessResponse(readiness: Readiness): Response {
  const headers = { "cache-control": "no-store" };
  if (readiness.status === "ready") return Response.json({ status: readiness.status, database: readiness.database }, { status: 200, headers });
  return Response.json(readiness, { status: 503, headers });
}

export const readinessThresholds = (config: Pick<Env, "READY_MAX_HEARTBEAT_AGE_MS" | "READY_MAX_QUEUE_AGE_MS">): ReadinessThresholds => ({
  maxHeartbeatAgeMs: config.READY_MAX_HEARTBEAT_AGE_MS,
  maxQueueAgeMs: config.READY_MAX_QUEUE_AGE_MS,
});
