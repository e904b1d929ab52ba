import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIFT_KINDS } from "../../lib/reconcile/classify";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { testDbKind } from "../../lib/sandbox/database";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { createFakeStripe, FAKE_STRIPE_SECRET_KEY, type FakeStripe } from "../../lib/sandbox/stripe";
import { checkoutCompleted, invoiceEvent, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";

// `npm run reconcile` as an operator runs it: a process of its own, configured by the env alone,
// against the fake Circle, Kit and Stripe over HTTP. A dry run prints the summary table and changes
// nothing; a real run repairs; a second run finds nothing new. PostgreSQL only: the script opens
// the database itself, which an in-memory PGlite of the test process cannot share.

const run = promisify(execFile);
let stack: Stack;
let stripe: FakeStripe;
let env: NodeJS.ProcessEnv;
let workDir: string;

beforeAll(async () => {
  if (testDbKind !== "postgres") return;
  stack = await startStack({ providerTimeoutMs: 5_000 });
  stripe = createFakeStripe();
  const [{ url: circleUrl }, { url: kitUrl }, { url: stripeUrl }] = await Promise.all([stack.circle.start(), stack.kit.start(), stripe.start()]);
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "reconcile-command-"));
  const catalogFile = path.join(workDir, "catalog.json");
  await fs.writeFile(catalogFile, JSON.stringify(stack.catalog));
  env = {
    NODE_ENV: "test",
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    APP_MODE: "demo",
    DATABASE_URL: stack.testDb.url!,
    PLAN_CATALOG: catalogFile,
    CIRCLE_API_URL: circleUrl,
    CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN,
    KIT_API_URL: kitUrl,
    KIT_API_KEY: FAKE_KIT_API_KEY,
    STRIPE_API_URL: stripeUrl,
    STRIPE_SECRET_KEY: FAKE_STRIPE_SECRET_KEY,
    RECONCILE_INTERVAL_MINUTES: "0",
    LOG_LEVEL: "silent",
  };
}, 120_000);

afterAll(async () => {
  if (testDbKind !== "postgres") return;
  await stripe?.stop();
  await stack?.stop();
  await fs.rm(workDir, { recursive: true, force: true });
});

async function buy(): Promise<Purchase> {
  const p = newPurchase();
  for (const event of [checkoutCompleted(p), invoiceEvent(p, "invoice.paid")]) expect((await stack.postStripe(event)).status).toBe(200);
  stripe.addSubscription({ id: p.subscriptionId, customer: { id: p.customerId, email: p.email }, status: "active", priceId: p.priceId });
  return p;
}

const reconcileCommand = (...args: string[]) => run("npx", ["tsx", "scripts/reconcile.ts", ...args], { env, cwd: process.cwd(), timeout: 120_000 });
const circleWrites = () => stack.circle.requests().filter((request) => request.method !== "GET").length;
/** The cells of one drift kind's row in the printed table (columns are two or more spaces apart). */
const rowOf = (stdout: string, kind: string) =>
  stdout
    .split("\n")
    .find((line) => line.startsWith(`${kind} `))
    ?.trim()
    .split(/\s{2,}/);

describe.skipIf(testDbKind !== "postgres")("npm run reconcile", () => {
  it("reports with --dry-run, repairs without it, then finds nothing new", async () => {
    const removed = await buy();
    await buy();
    await stack.drain();
    stack.circle.removeFromAccessGroupByHand(stack.ids.communityGroup, removed.email);
    const writesBefore = circleWrites();

    const dry = await reconcileCommand("--dry-run");
    expect(dry.stdout).toContain("Dry run (nothing changed)");
    expect(rowOf(dry.stdout, "paid_no_access")?.slice(0, 2)).toEqual(["paid_no_access", "1"]);
    expect(circleWrites()).toBe(writesBefore);
    expect(stack.circle.membersOf(stack.ids.communityGroup)).not.toContain(removed.email);

    const real = await reconcileCommand("--provider", "circle");
    expect(real.stdout).toMatch(/^Reconciliation: /m);
    expect(rowOf(real.stdout, "paid_no_access")?.slice(0, 3)).toEqual(["paid_no_access", "1", "1"]);
    await stack.drain();
    expect(stack.circle.membersOf(stack.ids.communityGroup)).toContain(removed.email);

    const again = await reconcileCommand();
    for (const kind of DRIFT_KINDS) expect(rowOf(again.stdout, kind)?.[1], kind).toBe("0");
  }, 300_000);

  it("refuses an unknown provider with a plain message and exit code 2", async () => {
    const failure = await reconcileCommand("--provider", "paypal").then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/provider/i);
  }, 120_000);
});
