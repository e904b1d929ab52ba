import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listJobs, replayJob, type AdminDeps } from "../../lib/admin/api";
import { parseEnv } from "../../lib/config";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase } from "../../lib/sandbox/stripe-events";

// The dead-letter queue and its replay, through the admin API's handlers, on a grant that
// died while Circle answered 500 to every call. These calls carry the bearer ADMIN_TOKEN, so
// the audit actor is "api-token" whatever the body's `admin` says (console sessions:
// test/integration/admin-auth.test.ts).

const ADMIN_TOKEN = "admin-token-for-the-jobs-test-0123";

let stack: Stack;
let deps: AdminDeps;
beforeEach(async () => {
  stack = await startStack();
  deps = { env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }), db: stack.db, sessionSecret: "session-secret-for-the-jobs-test-0123456789" };
});
afterEach(async () => {
  await stack.stop();
});

const list = (query: string, token: string | null = ADMIN_TOKEN) =>
  listJobs(new Request(`http://test/api/admin/jobs${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }), deps);

const replay = (id: string, body: unknown, token: string | null = ADMIN_TOKEN) =>
  replayJob(
    new Request(`http://test/api/admin/jobs/${id}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    deps,
    id,
  );

const audits = () =>
  stack.db.sql<{ actor: string; action: string; reason: string; before: Record<string, unknown>; after: Record<string, unknown>; correlationId: string; customerId: string | null }>(
    `SELECT actor, action, reason, before, after, "correlationId", "customerId" FROM "AuditLog" WHERE action = 'job.replay'`,
  );

const jobState = async (id: string) =>
  (await stack.db.sql<{ status: string; attempts: number }>(`SELECT status::text, attempts FROM "Job" WHERE id = $1`, [id]))[0];

async function deadGrant() {
  stack.circle.fail({ status: 500, times: 1_000 });
  const p = newPurchase();
  expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
  await stack.drain();
  const response = await list("?status=dead");
  expect(response.status).toBe(200);
  const { jobs } = (await response.json()) as { jobs: Array<{ id: string; kind: string; status: string; attempts: number; lastError: string }> };
  expect(jobs).toHaveLength(1);
  return { p, job: jobs[0]! };
}

describe("admin jobs API", () => {
  it("lists dead letters and replays one: the grant converges and one audit row says who (the token, not the body) and why", async () => {
    const { p, job } = await deadGrant();
    expect(job).toMatchObject({ kind: "circle.grant", status: "dead", attempts: 8 });
    expect(job.lastError).toContain("server_error");

    stack.circle.reset();
    stack.circle.addAccessGroup("Community");
    stack.circle.addAccessGroup("Masterclass");
    const response = await replay(job.id, { admin: "Ada", reason: "Circle outage over" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ replayed: true, jobId: job.id, kind: "circle.grant", status: "queued" });
    expect(await jobState(job.id)).toEqual({ status: "queued", attempts: 0 });

    const customerId = await findCustomerId(stack.db, p.email);
    expect(await audits()).toEqual([
      {
        actor: "api-token",
        action: "job.replay",
        reason: "Circle outage over",
        before: expect.objectContaining({ status: "dead", kind: "circle.grant", attempts: 8 }),
        after: { status: "queued", attempts: 0 },
        correlationId: job.id,
        customerId,
      },
    ]);

    await stack.drain();
    expect(await jobState(job.id)).toMatchObject({ status: "succeeded" });
    expect((await getCustomerRecord(stack.db, customerId!))!.access).toMatchObject([{ state: "invited" }]);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toEqual([p.email]);

    // Only dead jobs come back: a second replay changes nothing and writes no audit row.
    const again = await replay(job.id, { admin: "Ada", reason: "clicked twice" });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: "the job is succeeded; only dead jobs can be replayed" });
    expect(await audits()).toHaveLength(1);
  });

  it.each([
    ["no admin token", "ok", { admin: "Ada", reason: "why not" }, null, 401],
    ["a wrong admin token", "ok", { admin: "Ada", reason: "why not" }, "not-the-admin-token", 401],
    ["an id that is not a UUID", "not-a-uuid", { admin: "Ada", reason: "why not" }, ADMIN_TOKEN, 400],
    ["a body that is not JSON", "ok", "{not json", ADMIN_TOKEN, 400],
    ["no reason", "ok", { admin: "Ada" }, ADMIN_TOKEN, 400],
    ["an admin name with markup", "ok", { admin: "<script>", reason: "why not" }, ADMIN_TOKEN, 400],
    ["an unknown field", "ok", { admin: "Ada", reason: "why not", attempts: 99 }, ADMIN_TOKEN, 400],
    ["a body over 16 KiB", "ok", { admin: "Ada", reason: "x".repeat(17_000) }, ADMIN_TOKEN, 413],
  ])("refuses a replay with %s and changes nothing", async (_case, id, body, token, status) => {
    const { job } = await deadGrant();
    const response = await replay(id === "ok" ? job.id : id, body, token);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toBeTruthy();
    expect(await jobState(job.id)).toEqual({ status: "dead", attempts: 8 });
    expect(await audits()).toEqual([]);
  });

  it("replays without an admin name: the field is optional, and ignored when given", async () => {
    const { job } = await deadGrant();
    const response = await replay(job.id, { reason: "why not" });
    expect(response.status).toBe(200);
    expect(await jobState(job.id)).toEqual({ status: "queued", attempts: 0 });
    expect((await audits()).map((audit) => audit.actor)).toEqual(["api-token"]);
  });

  it("answers 404 for a job that does not exist", async () => {
    const response = await replay("0b5c2a52-7d0e-4a6e-9c1e-5f1d2b3c4d5e", { admin: "Ada", reason: "why not" });
    expect(response.status).toBe(404);
    expect(await audits()).toEqual([]);
  });

  it("filters by status and kind, refuses an unknown status, and needs the token", async () => {
    const p = newPurchase();
    expect((await stack.postStripe(checkoutCompleted(p))).status).toBe(200);
    await stack.drain();
    const kinds = async (query: string) => ((await (await list(query)).json()) as { jobs: Array<{ kind: string; status: string }> }).jobs;
    expect((await kinds("?status=succeeded&kind=circle.grant")).map((job) => job.kind)).toEqual(["circle.grant"]);
    expect(await kinds("?status=dead")).toEqual([]);
    expect((await kinds("?limit=500")).length).toBeGreaterThan(2);
    expect((await list("?status=exploded")).status).toBe(400);
    expect((await list("?limit=0")).status).toBe(400);
    expect((await list("", null)).status).toBe(401);
  });
});
