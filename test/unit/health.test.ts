import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessReadiness, parseHealthQuery, readinessResponse, type ReadinessInputs } from "../../lib/observability/health";

// Readiness from what was read: the database, the freshest worker heartbeat, the queue's oldest due job.

const thresholds = { maxHeartbeatAgeMs: 90_000, maxQueueAgeMs: 300_000 };
const healthy: ReadinessInputs = { databaseError: null, databaseKind: "postgres", freshestHeartbeatAgeSeconds: 5, oldestDueAgeSeconds: null };

describe("assessReadiness", () => {
  it.each<[string, Partial<ReadinessInputs>, string[], RegExp[]]>([
    ["everything fine, nothing due", {}, [], []],
    ["a job due for a while, under the threshold", { oldestDueAgeSeconds: 299 }, [], []],
    ["a job due exactly at the threshold", { oldestDueAgeSeconds: 300 }, [], []],
    ["a heartbeat exactly at the threshold", { freshestHeartbeatAgeSeconds: 90 }, [], []],
    ["the database unreachable", { databaseError: "error ECONNREFUSED", databaseKind: null, freshestHeartbeatAgeSeconds: null }, ["database"], [/database is unreachable \(error ECONNREFUSED\)/]],
    ["no worker ever beat", { freshestHeartbeatAgeSeconds: null }, ["worker_heartbeat"], [/no worker heartbeat/]],
    ["the freshest beat is stale", { freshestHeartbeatAgeSeconds: 91 }, ["worker_heartbeat"], [/freshest is 91 s old \(limit 90 s\)/]],
    ["the oldest due job waited past the threshold", { oldestDueAgeSeconds: 301 }, ["queue_age"], [/waited 301 s \(limit 300 s\)/]],
    ["no worker and a backlog", { freshestHeartbeatAgeSeconds: null, oldestDueAgeSeconds: 3_600 }, ["worker_heartbeat", "queue_age"], [/no worker heartbeat/, /waited 3600 s/]],
  ])("%s", (_case, changes, failed, reasons) => {
    const readiness = assessReadiness({ ...healthy, ...changes }, thresholds);
    expect(readiness.failed).toEqual(failed);
    expect(readiness.status).toBe(failed.length === 0 ? "ready" : "unavailable");
    expect(readiness.reasons).toHaveLength(reasons.length);
    reasons.forEach((reason, index) => expect(readiness.reasons[index]).toMatch(reason));
  });

  it("is ready exactly when the database answers, a beat is fresh and nothing due is too old", () => {
    const seconds = fc.option(fc.double({ min: 0, max: 10_000, noNaN: true }), { nil: null });
    fc.assert(
      fc.property(fc.option(fc.constant("error X"), { nil: null }), seconds, seconds, (databaseError, beat, due) => {
        const readiness = assessReadiness({ databaseError, databaseKind: databaseError ? null : "pglite", freshestHeartbeatAgeSeconds: beat, oldestDueAgeSeconds: due }, thresholds);
        const fine = databaseError === null && beat !== null && beat <= 90 && (due === null || due <= 300);
        expect(readiness.status === "ready").toBe(fine);
        expect(readiness.reasons.length).toBe(readiness.failed.length);
      }),
    );
  });
});

describe("parseHealthQuery", () => {
  it.each([
    ["http://h/api/health", { ok: true, readiness: false }],
    ["http://h/api/health?ready", { ok: true, readiness: true }],
    ["http://h/api/health?ready=1", { ok: true, readiness: true }],
    ["http://h/api/health?ready=true", { ok: true, readiness: true }],
    ["http://h/api/health?ready=0", { ok: true, readiness: false }],
    ["http://h/api/health?other=1", { ok: true, readiness: false }],
  ])("%s", (url, expected) => {
    expect(parseHealthQuery(url)).toEqual(expected);
  });

  it("refuses a ready value it does not know", () => {
    expect(parseHealthQuery("http://h/api/health?ready=yes-please")).toMatchObject({ ok: false });
  });
});

describe("readinessResponse", () => {
  it("answers 200 with the database when ready, and 503 with the reasons when not", async () => {
    const ok = readinessResponse(assessReadiness(healthy, thresholds));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ready", database: "postgres" });
    const down = readinessResponse(assessReadiness({ ...healthy, oldestDueAgeSeconds: 900 }, thresholds));
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "unavailable", database: "postgres", failed: ["queue_age"], reasons: ["the oldest due job has waited 900 s (limit 300 s)"] });
    expect(down.headers.get("cache-control")).toBe("no-store");
  });
});
