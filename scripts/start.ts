// npm start: migrate, seed the demo (embedded defaults only), build, and serve on PORT.
// Outside production, a local sandbox server that speaks the provider's API stands in for each
// of Circle and Kit whose credentials are missing (lib/sandbox/plan.ts decides), so the demo runs
// end to end with no network; a provider with credentials keeps them.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import { env, isProduction } from "../lib/config";
import { openDatabase } from "../lib/db";
import { loadCatalog } from "../lib/catalog-file";
import { migrate } from "../lib/migrations";
import { DEMO_ADMIN_TOKEN } from "../lib/auth";
import { DEMO_ADMIN, DEMO_ADMIN_DEFAULT_PASSWORD, seedDemo, seedDemoAdmin } from "../prisma/seed";
import { createFakeCircle, FAKE_CIRCLE_TOKEN } from "../lib/sandbox/circle";
import { createFakeKit, FAKE_KIT_API_KEY } from "../lib/sandbox/kit";
import { sandboxedProviders, sandboxLogLines, type SandboxConfig, type SandboxUrls } from "../lib/sandbox/plan";

const config = env();
const production = isProduction(config);
const childEnv: Record<string, string> = { NEXT_TELEMETRY_DISABLED: "1" };
const stops: Array<() => Promise<void>> = [];

const sandboxConfig: SandboxConfig = { production, circleToken: config.CIRCLE_API_TOKEN, kitKey: config.KIT_API_KEY };

/** Starts a stand-in for each provider the plan sandboxes, seeded from the plan catalog, and logs the plan. */
async function startSandbox() {
  const sandboxed = sandboxedProviders(sandboxConfig);
  const urls: SandboxUrls = {};
  if (sandboxed.circle || sandboxed.kit) {
    const catalog = loadCatalog(config.PLAN_CATALOG);
    if (sandboxed.circle) {
      const circle = createFakeCircle();
      const { url } = await circle.start();
      stops.push(() => circle.stop());
      for (const plan of catalog.plans) {
        plan.circleAccessGroupIds.forEach((id) => circle.addAccessGroup(`${plan.name} (group ${id})`, id));
      }
      Object.assign(childEnv, { CIRCLE_API_URL: url, CIRCLE_API_TOKEN: FAKE_CIRCLE_TOKEN });
      urls.circle = url;
    }
    if (sandboxed.kit) {
      const kit = createFakeKit();
      const { url } = await kit.start();
      stops.push(() => kit.stop());
      for (const plan of catalog.plans) {
        const tags = plan.kitTagIds;
        [...tags.active, ...tags.onboarding, ...tags.pastDue, ...tags.canceled, ...tags.refunded].forEach((id) => kit.addTag(`tag ${id}`, id));
      }
      catalog.promotionalTagIds.forEach((id) => kit.addTag(`promo ${id}`, id));
      Object.assign(childEnv, { KIT_API_URL: url, KIT_API_KEY: FAKE_KIT_API_KEY });
      urls.kit = url;
    }
  }
  for (const line of sandboxLogLines(sandboxConfig, urls)) console.log(line);
}

async function run(command: string, args: string[]) {
  await new Promise<void>((resolve, reject) => {
    const proc = spawn(command, args, { stdio: "inherit", env: { ...process.env, ...childEnv } });
    proc.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
  });
}

const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: `${config.DATA_DIR}/pglite` });
const applied = await migrate(db);
if (applied.length) console.log(`migrated: ${applied.join(", ")}`);
if (!production) {
  const seeded = await seedDemo(db);
  if (seeded) console.log(`seeded ${seeded} demo events`);
  await seedDemoAdmin(db, config);
}
// The embedded database has one owner: the web process opens it next.
await db.close();

if (!production) await startSandbox();
if (!production && !config.STRIPE_WEBHOOK_SECRET) childEnv.STRIPE_WEBHOOK_SECRET = `whsec_demo_${crypto.randomBytes(12).toString("hex")}`;
if (!production && !config.KIT_WEBHOOK_SECRET) childEnv.KIT_WEBHOOK_SECRET = `kit_demo_${crypto.randomBytes(12).toString("hex")}`;

if (!process.argv.includes("--no-build")) await run("npx", ["next", "build"]);

const server = spawn("npx", ["next", "start", "-p", String(config.PORT)], { stdio: "inherit", env: { ...process.env, ...childEnv } });
if (!production) {
  console.log(`\nEntitled demo on http://localhost:${config.PORT}`);
  console.log(`  support console: http://localhost:${config.PORT}/admin (sign in as ${DEMO_ADMIN.email}, password ${config.DEMO_ADMIN_PASSWORD ? "(DEMO_ADMIN_PASSWORD)" : DEMO_ADMIN_DEFAULT_PASSWORD})`);
  console.log(`  admin token: ${config.ADMIN_TOKEN ? "(ADMIN_TOKEN)" : DEMO_ADMIN_TOKEN}`);
  console.log(`  try: curl -H 'Authorization: Bearer ${config.ADMIN_TOKEN ? "$ADMIN_TOKEN" : DEMO_ADMIN_TOKEN}' 'http://localhost:${config.PORT}/api/admin/customers?email=ada@example.com'`);
  if (childEnv.STRIPE_WEBHOOK_SECRET) console.log(`  Stripe webhook secret for this run: ${childEnv.STRIPE_WEBHOOK_SECRET}`);
}

const shutdown = (signal: NodeJS.Signals) => server.kill(signal);
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
server.on("exit", async (code) => {
  for (const stop of stops) await stop();
  process.exit(code ?? 0);
});
