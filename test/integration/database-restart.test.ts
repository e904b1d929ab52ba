import crypto from "node:crypto";
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../lib/db";
import { loadCatalog } from "../../lib/catalog-file";
import { migrate } from "../../lib/migrations";
import { startCatalogFakes } from "../../lib/sandbox/catalog-fakes";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { testDbKind } from "../../lib/sandbox/database";
import { checkoutCompleted, invoiceEvent, newPurchase, signStripe } from "../../lib/sandbox/stripe-events";
import { freePort, startNode, waitForHttp, type Child } from "../bench/processes";
import { parseSamples, valueOf } from "../helpers/prom-text";
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from "../helpers/private-postgres";

// PostgreSQL crashes (stop -m immediate) and comes back in the middle of a stream of Stripe
// deliveries sent, as Stripe does, to the Next route and the ingest server, with a worker
// process carrying out Circle and Kit side effects. While it is down every delivery is answered
// 5xx, so Stripe sends it again; a 2xx is only ever given for an event the ledger still holds
// after the crash; the web app, the ingest server and the worker carry on without a restart and
// every customer ends up in Circle and Kit exactly once.

const runs = testDbKind === "postgres" && fs.existsSync(".next/BUILD_ID") && postgresBinDir() !== null;

const CUSTOMERS = 60;
const SENDERS = 8;
const PAUSE_BETWEEN_EVENTS_MS = 200;
const RETRY_AFTER_MS = 250;
const OUTAGE_MS = 4_000;
const RECOVERY_TIMEOUT_MS = 90_000;

interface Attempt {
  eventId: string;
  target: "next" | "ingest";
  sentAt: number;
  answeredAt: number;
  /** The HTTP status, or null when the request got no answer. */
  status: number | null;
}

const METRICS_TOKEN = crypto.randomBytes(16).toString("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number, context: () => string = () => "") {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}\n${context()}`);
    await sleep(250);
  }
}

const alive = (child: Child) => {
  try {
    process.kill(child.pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!runs)("PostgreSQL restarted under load", () => {
  it("answers 5xx while it is down, acknowledges only what it stored, and recovers without a restart", { timeout: 240_000 }, async () => {
    const postgres: PrivatePostgres = await startPrivatePostgres(await freePort());
    cleanups.push(() => postgres.destroy());
    const setup: Database = await openDatabase({ databaseUrl: postgres.url });
    await migrate(setup);
    await setup.close();

    const catalog = loadCatalog();
    const { circle, kit, circleUrl, kitUrl, stop: stopFakes } = await startCatalogFakes(catalog);
    cleanups.push(stopFakes);

    const secret = `whsec_restart_${crypto.randomBytes(12).toString("hex")}`;
    const common = {
      DATABASE_URL: postgres.url,
      STRIPE_WEBHOOK_SECRET: secret,
      APP_MODE: "demo",
      LOG_LEVEL: "error",
      RUN_WORKER: "0",
      NEXT_TELEMETRY_DISABLED: "1",
      METRICS_TOKEN,
      CIRCLE_API_URL: circleUrl,
      CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN,
      KIT_API_URL: kitUrl,
      KIT_API_KEY: FAKE_KIT_API_KEY,
      WORKER_POLL_MS: "50",
    };
    const ingestMetricsPort = await freePort();
    const server = async (name: string, args: string[], ready: string, extra: Record<string, string> = {}) => {
      const port = await freePort();
      const child = startNode(name, args, { ...common, ...extra, PORT: String(port), INGEST_PORT: String(port) });
      cleanups.push(() => child.stop());
      const origin = `http://127.0.0.1:${port}`;
      await waitForHttp(origin + ready, child, 60_000);
      return { origin, child };
    };
    const [next, ingest] = await Promise.all([
      server("next", ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1"], "/api/health"),
      server("ingest", ["--import", "tsx", "scripts/ingest.ts"], "/api/health", { INGEST_METRICS_PORT: String(ingestMetricsPort) }),
    ]);
    const worker = startNode("worker", ["--import", "tsx", "scripts/worker.ts"], common);
    cleanups.push(() => worker.stop());
    await until("the worker reports ready", async () => (await fetch(`${next.origin}/api/ready`)).ok, 60_000, () => worker.tail());

    const purchases = Array.from({ length: CUSTOMERS }, (_, index) => newPurchase({ email: `restart-${index}@example.com` }));
    const events = purchases.flatMap((purchase) => [checkoutCompleted(purchase), invoiceEvent(purchase, "invoice.paid")]);
    const attempts: Attempt[] = [];
    let acknowledged = 0;
    let outage: { from: number; to: number } | null = null;
    let readyDuringOutage: number | null = null;

    const giveUpAt = Date.now() + RECOVERY_TIMEOUT_MS;
    // Each sender takes the next event and sends it until it gets a 2xx, as Stripe retries.
    const queue = [...events];
    const sender = async (index: number) => {
      for (let event = queue.shift(); event; event = queue.shift()) {
        const payload = JSON.stringify(event);
        const target = (index + events.indexOf(event)) % 2 === 0 ? next : ingest;
        for (;;) {
          const sentAt = Date.now();
          let status: number | null = null;
          try {
            const response = await fetch(`${target.origin}/api/webhooks/stripe`, {
              method: "POST",
              headers: { "content-type": "application/json", "stripe-signature": signStripe(payload, secret) },
              body: payload,
              signal: AbortSignal.timeout(15_000),
            });
            status = response.status;
            await response.arrayBuffer();
          } catch {
            status = null;
          }
          attempts.push({ eventId: event.id, target: target === next ? "next" : "ingest", sentAt, answeredAt: Date.now(), status });
          if (status !== null && status >= 200 && status < 300) break;
          if (Date.now() > giveUpAt) {
            const recent = attempts.slice(-6).map((attempt) => `${attempt.target} ${attempt.status ?? "no answer"}`).join(", ");
            throw new Error(`${event.id} still not acknowledged (latest answers: ${recent})\n${next.child.tail()}\n${ingest.child.tail()}\n${worker.tail()}`);
          }
          await sleep(RETRY_AFTER_MS);
        }
        acknowledged += 1;
        await sleep(PAUSE_BETWEEN_EVENTS_MS);
      }
    };
    const crash = async () => {
      while (acknowledged < events.length / 4) await sleep(20);
      await postgres.stop("immediate");
      const from = Date.now();
      await sleep(OUTAGE_MS / 2);
      readyDuringOutage = (await fetch(`${next.origin}/api/ready`)).status;
      await sleep(OUTAGE_MS / 2);
      const to = Date.now();
      await postgres.start();
      outage = { from, to };
    };
    await Promise.all([...Array.from({ length: SENDERS }, (_, index) => sender(index)), crash()]);

    expect(outage).not.toBeNull();
    const { from, to } = outage!;
    const duringOutage = attempts.filter((attempt) => attempt.sentAt >= from && attempt.answeredAt <= to);
    expect(duringOutage.length).toBeGreaterThan(SENDERS);
    // Every delivery sent and answered while the database was down was refused with a 5xx.
    expect(duringOutage.filter((attempt) => attempt.status === null || attempt.status < 500)).toEqual([]);
    expect(readyDuringOutage).toBe(503);

    const check = await openDatabase({ databaseUrl: postgres.url });
    cleanups.push(() => check.close());
    // Every acknowledged delivery is in the ledger the crash left.
    const acknowledgedIds = new Set(attempts.filter((attempt) => attempt.status !== null && attempt.status < 300).map((attempt) => attempt.eventId));
    expect(acknowledgedIds.size).toBe(events.length);
    const stored = await check.prisma.webhookEvent.findMany({ where: { provider: "stripe" }, select: { eventId: true } });
    const storedIds = new Set(stored.map((row) => row.eventId));
    expect([...acknowledgedIds].filter((id) => !storedIds.has(id))).toEqual([]);

    // The worker carried on: every customer in the community once, tagged active in Kit.
    const emails = purchases.map((purchase) => purchase.email).sort();
    const [communityGroup] = catalog.plans[0]!.circleAccessGroupIds;
    const [activeTag] = catalog.plans[0]!.kitTagIds.active;
    await until(
      "every customer is in Circle and tagged in Kit",
      async () => circle.membersOf(communityGroup!).length === CUSTOMERS && emails.every((email) => kit.tagsOf(email).includes(activeTag!)),
      RECOVERY_TIMEOUT_MS,
      () => `${circle.membersOf(communityGroup!).length} in Circle\n${worker.tail()}`,
    );
    expect([...circle.membersOf(communityGroup!)].sort()).toEqual(emails);
    expect(circle.memberCount()).toBe(CUSTOMERS);
    // A tag added twice would run the founder's Kit automation twice.
    const doubled = kit.subscriberTags().filter((subscriber) => [...subscriber.tagAdds.values()].some((adds) => adds > 1));
    expect(doubled.map((subscriber) => subscriber.email)).toEqual([]);
    await until("the app is ready again", async () => (await fetch(`${next.origin}/api/ready`)).ok, 30_000);

    // The ingest server's own counters (INGEST_METRICS_PORT) saw the refusals and the recorded events.
    const scraped = await fetch(`http://127.0.0.1:${ingestMetricsPort}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    const counters = parseSamples(await scraped.text());
    const ingestAttempts = attempts.filter((attempt) => attempt.target === "ingest");
    expect(valueOf(counters, "entitled_webhook_events_total", { provider: "stripe", result: "error" })).toBe(ingestAttempts.filter((attempt) => attempt.status !== null && attempt.status >= 500).length);
    expect(valueOf(counters, "entitled_webhook_events_total", { provider: "stripe", result: "recorded" })).toBeGreaterThan(0);

    // Nobody was restarted.
    expect([next.child, ingest.child, worker].filter((child) => !alive(child)).map((child) => child.name)).toEqual([]);
  });
});
