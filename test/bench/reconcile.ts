// npm run bench:reconcile: reconciling BENCH_CUSTOMERS (default 10,000) customers against the
// fake Circle, Kit and Stripe over HTTP, on a fresh PostgreSQL database (BENCH_POSTGRES_URL):
// the time of a dry run and of the record snapshot alone (the baseline, same run), the requests
// sent to each provider, and what a run costs of Circle's monthly quota on each plan. The record
// is seeded in bulk SQL (one active subscription, grant and tag per customer), the fakes to
// match, with 1% of each planted drift. Figures go to stdout and to BENCH_OUT (markdown).
import fs from "node:fs";
import { z } from "zod";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { CIRCLE_PLAN_QUOTAS } from "../../lib/jobs/budget";
import { reconcile } from "../../lib/reconcile/run";
import { readRecordSnapshot } from "../../lib/reconcile/snapshot";
import { createFakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit } from "../../lib/sandbox/kit";
import { reconcilerForFakes } from "../../lib/sandbox/reconcile";
import { createFakeStripe } from "../../lib/sandbox/stripe";
import { cleanUp, cleanups, createBenchDatabase, fmt, machineInfo, ms } from "./common";

const settings = z
  .object({
    BENCH_CUSTOMERS: z.coerce.number().int().min(100).max(200_000).default(10_000),
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
    BENCH_OUT: z.string().default("/work/notes/h6-reconcile-bench.md"),
  })
  .parse(process.env);

async function main() {
  const n = settings.BENCH_CUSTOMERS;
  const { db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 4);
  const circle = createFakeCircle();
  const kit = createFakeKit();
  const stripe = createFakeStripe();
  const [{ url: circleUrl }, { url: kitUrl }, { url: stripeUrl }] = await Promise.all([circle.start(), kit.start(), stripe.start()]);
  cleanups.push(() => Promise.all([circle.stop(), kit.stop(), stripe.stop()]).then(() => undefined));
  const group = circle.addAccessGroup("Community");
  const tags = { active: kit.addTag("paid_active"), pastDue: kit.addTag("payment_failed"), canceled: kit.addTag("offboarding"), refunded: kit.addTag("refunded") };
  const catalog = parseCatalog({
    version: 1,
    paymentGraceDays: 7,
    promotionalTagIds: [],
    plans: [{ key: "community_monthly", name: "Community", stripePriceIds: ["price_bench"], circleAccessGroupIds: [group], kitTagIds: { active: [tags.active], pastDue: [tags.pastDue], canceled: [tags.canceled], refunded: [tags.refunded] } }],
  });

  // The fakes: member i, subscriber i, subscription i; every 100th customer carries drift.
  const t0 = performance.now();
  const rows: Array<{ email: string; member: number; subscriber: number; sub: string; cus: string }> = [];
  for (let i = 0; i < n; i++) {
    const email = `customer-${i}@bench.example`;
    const member = circle.addMember(email);
    const subscriber = kit.addSubscriber(email);
    const cus = `cus_bench${i}`;
    const sub = `sub_bench${i}`;
    const drift = i % 100;
    if (drift !== 1) circle.addToAccessGroupByHand(group, email); // 1: removed in Circle
    if (drift !== 2) kit.tagByHand(tags.active, email); // 2: tag removed in Kit
    stripe.addSubscription({ id: sub, customer: { id: cus, email }, status: drift === 3 ? "canceled" : "active", priceId: "price_bench" }); // 3: cancel never came
    rows.push({ email, member, subscriber, sub, cus });
  }
  for (let i = 0; i < n / 100; i++) {
    const email = `walk-in-${i}@bench.example`;
    circle.addMember(email);
    circle.addToAccessGroupByHand(group, email); // a member we do not know
    stripe.addSubscription({ customer: { id: `cus_lost${i}`, email: `lost-${i}@bench.example` }, status: "active", priceId: "price_bench" }); // webhooks never came
  }
  await db.sql(
    `WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(email text, member int, subscriber int, sub text, cus text)),
     customers AS (INSERT INTO "Customer" (id, email, "updatedAt") SELECT gen_random_uuid(), email, now() FROM input RETURNING id, email),
     joined AS (SELECT customers.id, input.* FROM customers JOIN input USING (email)),
     refs AS (INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId")
              SELECT gen_random_uuid(), p.provider::"Provider", p.ext, joined.id FROM joined,
                LATERAL (VALUES ('circle', joined.member::text), ('kit', joined.subscriber::text), ('stripe', joined.cus)) AS p(provider, ext) RETURNING id),
     entitlements AS (INSERT INTO "Entitlement" (id, "customerId", "planKey", status, "sourceId", "lastEventAt", "updatedAt")
              SELECT gen_random_uuid(), id, 'community_monthly', 'active', sub, now(), now() FROM joined RETURNING id),
     grants AS (INSERT INTO "AccessGrant" (id, "customerId", "accessGroupId", state, "circleMemberId", version, "updatedAt")
              SELECT gen_random_uuid(), id, $2, 'active', member::text, 1, now() FROM joined RETURNING id)
     INSERT INTO "EmailTagState" (id, "customerId", "tagId", state, version, "updatedAt") SELECT gen_random_uuid(), id, $3, 'applied', 1, now() FROM joined RETURNING id`,
    [JSON.stringify(rows), group, tags.active],
  );
  const seedMs = performance.now() - t0;

  // Plus Platform's quota so a whole run completes; the cost is reported against every plan.
  const { deps } = reconcilerForFakes({ db, catalog, circleUrl, kitUrl, stripeUrl, circlePlan: "plus_platform", share: 0.5, timeoutMs: 30_000 });
  const snapshotStart = performance.now();
  const snapshot = await readRecordSnapshot(db);
  const snapshotMs = performance.now() - snapshotStart;
  const runStart = performance.now();
  const report = await reconcile(deps, { dryRun: true });
  const runMs = performance.now() - runStart;

  const requests = Object.fromEntries(Object.entries(report.providers).map(([provider, status]) => [provider, status.requests]));
  const circleRequests = requests.circle ?? 0;
  const info = await machineInfo(db);
  const lines = [
    `## bench:reconcile — ${fmt(n)} customers against the fake Circle, Kit and Stripe (dry run)`,
    "",
    `Command: \`npm run bench:reconcile\` (BENCH_CUSTOMERS=${n}). Machine: ${info.nproc} cores (${info.cpuModel}), ${fmt(info.memoryGiB, 1)} GiB, ${info.kernel}, Node ${info.node}, ${info.postgres}. ${new Date().toISOString()}.`,
    "The machine was shared with other sessions' work while this ran: times are upper bounds.",
    "",
    "| figure | value |",
    "|---|---|",
    `| seed (fakes + bulk SQL) | ${ms(seedMs)} ms |`,
    `| baseline: record snapshot alone (${fmt(snapshot.customerCount)} customers, ${fmt(snapshot.grants.length)} grants, ${fmt(snapshot.tags.length)} tags) | ${ms(snapshotMs)} ms |`,
    `| whole dry run (snapshot, every page of every provider, classification) | ${ms(runMs)} ms |`,
    `| requests: Circle | ${fmt(circleRequests)} |`,
    `| requests: Kit | ${fmt(requests.kit ?? 0)} |`,
    `| requests: Stripe | ${fmt(requests.stripe ?? 0)} |`,
    ...Object.entries(CIRCLE_PLAN_QUOTAS).map(([plan, quota]) => `| one run's share of Circle's monthly quota, ${plan} (${fmt(quota)}) | ${fmt((100 * circleRequests) / quota, 2)}% |`),
    ...Object.entries(CIRCLE_PLAN_QUOTAS).map(
      ([plan, quota]) => `| full Circle runs a month within the reconciler's half of ${plan} | ${fmt(Math.floor(quota / 2 / Math.max(1, circleRequests)))} |`,
    ),
    `| drift found | ${Object.entries(report.found).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${fmt(count)}`).join(", ")} |`,
    "",
  ];
  const text = lines.join("\n");
  console.log(text);
  fs.appendFileSync(settings.BENCH_OUT, `${text}\n`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
