import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findCustomerId, getCustomerRecord } from "../../lib/record/read";
import { openDatabase, type Database } from "../../lib/db";
import { createWorker } from "../../lib/jobs/worker";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { migrate } from "../../lib/migrations";
import { createLedgerWriter } from "../../lib/webhooks/ledger";
import { createStripeWebhookHandler } from "../../lib/webhooks/stripe";
import { createFakeCircle, type FakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit, type FakeKit } from "../../lib/sandbox/kit";
import { createTestDatabase, testDbKind, type TestDatabase } from "../../lib/sandbox/database";
import { handlersForFakes } from "../../lib/sandbox/handlers";
import { checkoutCompleted, newPurchase, signStripe } from "../../lib/sandbox/stripe-events";

// A worker process killed with SIGKILL in the middle of a side effect loses nothing and
// doubles nothing: its lease runs out, another worker runs the job again, and the handler's
// check-before-act finds the effect already there.

const SECRET = "whsec_crash_test";
const LEASE_MS = 1_500;

let circle: FakeCircle;
let kit: FakeKit;
let child: ChildProcess | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  child?.kill("SIGKILL");
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function startChild(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", path.resolve("test/helpers/child-worker.ts")], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`child worker exited early (${code})`)));
    proc.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(proc);
    });
  });
}

describe("worker killed mid-job", () => {
  it("neither loses nor doubles the Circle grant", async () => {
    circle = createFakeCircle();
    kit = createFakeKit();
    const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
    cleanups.push(async () => {
      await Promise.all([circle.stop(), kit.stop()]);
    });
    const group = circle.addAccessGroup("Community");
    const tag = kit.addTag("paid_active");
    const catalogJson = {
      version: 1,
      plans: [{ key: "community", name: "Community", stripePriceIds: ["price_demo_community_monthly"], circleAccessGroupIds: [group], kitTagIds: { active: [tag] } }],
    };
    const catalog = parseCatalog(catalogJson);

    // The database the child and then the parent use: a PostgreSQL database both can open at
    // once, or a PGlite folder that the parent hands over and takes back.
    let db: Database;
    let testDb: TestDatabase | undefined;
    let dataDir: string | undefined;
    if (testDbKind === "postgres") {
      testDb = await createTestDatabase();
      db = testDb.db;
      cleanups.push(() => testDb!.drop());
    } else {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-crash-"));
      cleanups.push(async () => fs.rmSync(dataDir!, { recursive: true, force: true }));
      db = await openDatabase({ dataDir });
      await migrate(db);
    }

    const p = newPurchase();
    const body = JSON.stringify(checkoutCompleted(p));
    const ingest = createStripeWebhookHandler({ ledger: createLedgerWriter(db), secret: SECRET });
    const ack = await ingest(new Request("http://test/", { method: "POST", headers: { "stripe-signature": signStripe(body, SECRET) }, body }));
    expect(ack.status).toBe(200);
    if (dataDir) await db.close();

    // Circle creates the member, then never answers: the child is stuck mid-job.
    circle.fail({ timeoutMs: 60_000, applyThenHang: true, method: "POST", path: "/community_members" });
    child = await startChild({
      CHILD_CATALOG: JSON.stringify(catalogJson),
      CHILD_CIRCLE_URL: circleServer.url,
      CHILD_KIT_URL: kitServer.url,
      CHILD_LEASE_MS: String(LEASE_MS),
      ...(testDb?.url ? { CHILD_DATABASE_URL: testDb.url } : { CHILD_DATA_DIR: dataDir! }),
    });
    await until(() => circle.memberCount() === 1, 20_000, "the child to create the Circle member");
    child.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));
    child = undefined;

    if (dataDir) db = await openDatabase({ dataDir });
    const reopened = db;
    if (dataDir) cleanups.unshift(() => reopened.close());
    const [stuck] = await db.sql<{ status: string }>(`SELECT status::text FROM "Job" WHERE kind = 'circle.grant'`);
    expect(stuck?.status).toBe("running");

    const worker = createWorker({
      db,
      handlers: handlersForFakes({ db, catalog, circleUrl: circleServer.url, kitUrl: kitServer.url }),
      pollMs: 20,
      leaseMs: LEASE_MS,
    });
    await until(
      async () => {
        await worker.runOnce();
        const [open] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('queued', 'running') AND kind <> 'circle.invitation_check'`);
        return open!.n === 0;
      },
      20_000,
      "the lease to run out and the job to finish",
    );

    expect(circle.memberCount()).toBe(1);
    expect(circle.membersOf(group)).toEqual([p.email]);
    expect(kit.tagsOf(p.email)).toEqual([tag]);
    const jobs = await db.sql<{ kind: string; status: string; attempts: number; leasesLost: number }>(
      `SELECT kind, status::text, attempts, "leasesLost" FROM "Job" WHERE kind <> 'circle.invitation_check' ORDER BY kind`,
    );
    expect(jobs.every((job) => job.status === "succeeded")).toBe(true);
    // The killed worker's claim is a lost lease, not a failed attempt.
    expect(jobs.find((job) => job.kind === "circle.grant")).toMatchObject({ attempts: 1, leasesLost: 1 });
    const rec = await getCustomerRecord(db, (await findCustomerId(db, p.email))!);
    expect(rec!.access).toMatchObject([{ accessGroupId: group }]);
    expect(["active", "invited"]).toContain(rec!.access[0]!.state);
  });
});
