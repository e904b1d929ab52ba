import { afterAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { GET as healthRoute } from "../../app/api/health/route";
import { GET as readyRoute } from "../../app/api/ready/route";
import { parseEnv } from "../../lib/config";
import { openDatabase } from "../../lib/db";
import { handleDrainRequest } from "../../lib/drain-route";
import { beat } from "../../lib/jobs/heartbeat";
import { createWorker } from "../../lib/jobs/worker";
import { checkReadiness } from "../../lib/observability/health";
import type { Runtime } from "../../lib/runtime";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase } from "../../lib/sandbox/stripe-events";

// /api/health and /api/ready against a real database: liveness always; readiness 503 with the
// reason when no worker beats, when the oldest due job waited past the threshold, and when the
// database cannot be reached; 200 once a worker (or a drain) beats and the queue keeps up.

const thresholds = { maxHeartbeatAgeMs: 90_000, maxQueueAgeMs: 300_000 };
let stack: Stack;
const runtimeGlobal = globalThis as typeof globalThis & { __entitledRuntime?: Promise<Runtime> };

beforeEach(async () => {
  stack = await startStack();
  runtimeGlobal.__entitledRuntime = Promise.resolve({ env: parseEnv({ APP_MODE: "demo" }), db: stack.db } as unknown as Runtime);
});
afterEach(async () => {
  await stack.stop();
});
afterAll(() => {
  delete runtimeGlobal.__entitledRuntime;
});

const ready = async () => {
  const response = await readyRoute();
  return { status: response.status, body: (await response.json()) as { status: string; database: string | null; failed?: string[]; reasons?: string[] } };
};

describe("GET /api/health", () => {
  it("answers liveness without reading anything, and readiness on ?ready=1 as /api/ready does", async () => {
    const live = await healthRoute(new Request("http://test/api/health"));
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const asked = await healthRoute(new Request("http://test/api/health?ready=1"));
    expect(asked.status).toBe(503);
    expect((await asked.json()).failed).toEqual(["worker_heartbeat"]);
    expect((await healthRoute(new Request("http://test/api/health?ready=maybe"))).status).toBe(400);
  });
});

describe("readiness", () => {
  it("is 503 while no worker beats, 200 while one runs, and 503 again once it stops", async () => {
    expect(await ready()).toMatchObject({ status: 503, body: { status: "unavailable", failed: ["worker_heartbeat"] } });
    const worker = createWorker({ db: stack.db, handlers: stack.handlers, pollMs: 10 });
    worker.start();
    for (let tries = 0; tries < 50 && (await ready()).status !== 200; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await ready()).toEqual({ status: 200, body: { status: "ready", database: stack.db.kind } });
    await worker.stop();
    expect(await ready()).toMatchObject({ status: 503, body: { failed: ["worker_heartbeat"] } });
  });

  it("is 503 when the freshest beat is older than the limit", async () => {
    await beat(stack.db, "worker-long-gone", "worker");
    await stack.db.sql(`UPDATE "WorkerHeartbeat" SET "beatAt" = now() - interval '5 minutes' RETURNING "workerId"`);
    const readiness = await checkReadiness(async () => stack.db, thresholds);
    expect(readiness.failed).toEqual(["worker_heartbeat"]);
    expect(readiness.reasons[0]).toMatch(/freshest is 300 s old/);
  });

  it("is 503 when the oldest due job has waited past the threshold, with its age in the reason", async () => {
    await beat(stack.db, "a-worker", "worker");
    expect((await stack.postStripe(checkoutCompleted(newPurchase()))).status).toBe(200);
    expect((await checkReadiness(async () => stack.db, thresholds)).status).toBe("ready");
    await stack.db.sql(`UPDATE "Job" SET "runAt" = now() - interval '10 minutes' RETURNING id`);
    const readiness = await checkReadiness(async () => stack.db, thresholds);
    expect(readiness.failed).toEqual(["queue_age"]);
    expect(readiness.reasons[0]).toMatch(/oldest due job has waited 600 s \(limit 300 s\)/);
  });

  it("counts a serverless drain's beat", async () => {
    const env = { CRON_SECRET: "cron-secret-of-16-chars", QSTASH_CURRENT_SIGNING_KEY: undefined, QSTASH_NEXT_SIGNING_KEY: undefined, PUBLIC_URL: undefined };
    const response = await handleDrainRequest(new Request("http://test/api/jobs/drain", { headers: { authorization: `Bearer ${env.CRON_SECRET}` } }), {
      env,
      worker: { db: stack.db, handlers: stack.handlers },
      budget: { budgetMs: 5_000, jobMs: 1_000 },
      publish: null,
    });
    expect(response.status).toBe(200);
    expect(await ready()).toMatchObject({ status: 200 });
  });

  it("is 503 when the database cannot be reached, naming no credential", async () => {
    const unreachable = await openDatabase({ databaseUrl: "postgresql://someone:hunter2-password@127.0.0.1:1/nothing", poolSize: 1 });
    try {
      const readiness = await checkReadiness(async () => unreachable, thresholds);
      expect(readiness).toMatchObject({ status: "unavailable", failed: ["database"] });
      expect(readiness.reasons[0]).toMatch(/^the database is unreachable/);
      expect(JSON.stringify(readiness)).not.toMatch(/hunter2|someone/);
    } finally {
      await unreachable.close().catch(() => undefined);
    }
  });
});
