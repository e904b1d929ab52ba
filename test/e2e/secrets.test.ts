import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDbKind } from "../../lib/sandbox/database";
import { makeCanaries, serverOnlyNames } from "../../lib/security/bundle-scan";
import { freePort, startServer, type ChildServer } from "../helpers/processes";

// Secrets never reach a response: the built app (npm test builds it once) started on the demo's
// embedded database with a canary in every secret variable, then the pages, their scripts and
// styles, and the public APIs (including refused webhook deliveries) searched for any canary and
// any server-only variable name. scripts/scan-bundle.ts covers `.next/static` at build time.

const runs = testDbKind === "pglite" && fs.existsSync(".next/BUILD_ID");
const canaries = makeCanaries();
// No real database or Redis here (the in-process rate-limit store): those canaries stay with the
// build scan; every other secret is set.
const STORES = new Set(["DATABASE_URL", "REDIS_URL", "UPSTASH_REDIS_REST_TOKEN"]);
const secretEnv = Object.fromEntries(Object.entries(canaries.env).filter(([name]) => !STORES.has(name)));
const values = canaries.values.filter((value) => !STORES.has(value.name.replace(/ password$/, "")));

let app: ChildServer;
beforeAll(async () => {
  if (!runs) return;
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-secrets-"));
  app = await startServer(
    "npx",
    ["tsx", "scripts/start.ts", "--no-build"],
    {
      ...secretEnv,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      // Unreachable on purpose: nothing here may call the model.
      OPENAI_BASE_URL: "http://127.0.0.1:1/v1",
    },
    port,
  );
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

function leaks(text: string): string[] {
  const found = values.filter(({ value }) => text.includes(value) || text.includes(encodeURIComponent(value))).map(({ name }) => `secret ${name}`);
  for (const name of serverOnlyNames()) if (new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`).test(text)) found.push(`name ${name}`);
  return found;
}

describe.skipIf(!runs)("responses carry no secret", () => {
  it("pages, their assets and the public APIs", async () => {
    const seen = new Map<string, string[]>();
    const record = async (label: string, response: Response) => {
      const text = `${[...response.headers].map(([key, value]) => `${key}: ${value}`).join("\n")}\n\n${await response.text()}`;
      seen.set(label, leaks(text));
      return text;
    };
    const assets = new Set<string>();
    for (const page of ["/", "/widget", "/admin/login", "/admin", "/embed.js", "/does-not-exist"]) {
      const html = await record(`GET ${page}`, await fetch(app.url + page));
      for (const match of html.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+)"/g)) assets.add(match[1]!);
    }
    expect(assets.size).toBeGreaterThan(0);
    for (const asset of assets) await record(`GET ${asset}`, await fetch(app.url + asset));
    for (const route of ["/api/health", "/api/metrics", "/api/admin/session", "/api/chat"]) await record(`GET ${route}`, await fetch(app.url + route));
    const identity = await fetch(`${app.url}/api/demo/identity`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "ben@example.com" }) });
    await record("POST /api/demo/identity", identity);
    await record("POST /api/webhooks/stripe (bad signature)", await fetch(`${app.url}/api/webhooks/stripe`, { method: "POST", headers: { "stripe-signature": "t=1,v1=00" }, body: "{}" }));
    await record("POST /api/webhooks/kit (bad signature)", await fetch(`${app.url}/api/webhooks/kit`, { method: "POST", headers: { "x-kit-signature": "t=1,v1=00" }, body: "{}" }));
    await record("POST /api/admin/session (wrong password)", await fetch(`${app.url}/api/admin/session`, { method: "POST", headers: { "content-type": "application/json", origin: app.url }, body: JSON.stringify({ email: "nobody@example.com", password: "wrong-password-123" }) }));
    const leaked = [...seen].filter(([, found]) => found.length > 0);
    expect(leaked).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });
});
