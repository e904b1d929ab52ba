import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDbKind } from "../../lib/sandbox/database";
import { makeCanaries, serverOnlyNames } from "../../lib/security/bundle-scan";
import { launchDoctorNamesVariables, ResponseRecorder, secretsOfEnv } from "../helpers/e2e-responses";
import { freePort, startServer, type ChildServer } from "../helpers/processes";

// Secrets never reach a response: the built app (npm test builds it once) started on the demo's
// embedded database with a canary in every secret variable, then the pages, their scripts and
// styles, and the public APIs (including refused webhook deliveries) searched for any canary and
// any server-only variable name (test/helpers/e2e-responses.ts, as every e2e file does).
// scripts/scan-bundle.ts covers `.next/static` at build time.

const runs = testDbKind === "pglite" && fs.existsSync(".next/BUILD_ID");
const canaries = makeCanaries();
// No real database or Redis here (the in-process rate-limit store): those canaries stay with the
// build scan; every other secret is set.
const STORES = new Set(["DATABASE_URL", "REDIS_URL", "UPSTASH_REDIS_REST_TOKEN"]);
const secretEnv = Object.fromEntries(Object.entries(canaries.env).filter(([name]) => !STORES.has(name)));
const responses = new ResponseRecorder({ values: secretsOfEnv(secretEnv), names: serverOnlyNames(), mayNameVariables: launchDoctorNamesVariables });

let app: ChildServer;
beforeAll(async () => {
  if (!runs) return;
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-secrets-"));
  responses.interceptFetch();
  app = await startServer(
    "npx",
    ["tsx", "scripts/start.ts", "--no-build"],
    {
      ...secretEnv,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      // Unreachable on purpose: nothing here may call the model or a provider.
      OPENAI_BASE_URL: "http://127.0.0.1:1/v1",
      STRIPE_API_URL: "http://127.0.0.1:1",
      CIRCLE_API_URL: "http://127.0.0.1:1",
      KIT_API_URL: "http://127.0.0.1:1",
    },
    port,
  );
}, 120_000);
afterAll(async () => {
  responses.stop();
  await app?.stop();
});

/** fetch, failing with the server's state and last output when the request gets no answer. */
async function fetchApp(path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(app.url + path, init);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    const state = app.process.exitCode === null ? "still running" : `exited with ${app.process.exitCode}`;
    throw new Error(`${init?.method ?? "GET"} ${path} got no answer (${cause}); the server is ${state}. Its last output:\n${app.output().slice(-4000)}`);
  }
}

describe.skipIf(!runs)("responses carry no secret", () => {
  it("pages, their assets and the public APIs", async () => {
    const seen = new Set<string>();
    const record = async (label: string, response: Response) => {
      seen.add(label);
      return response.text();
    };
    const assets = new Set<string>();
    for (const page of ["/", "/widget", "/admin/login", "/admin", "/admin/doctor", "/embed.js", "/does-not-exist"]) {
      const html = await record(`GET ${page}`, await fetchApp(page));
      for (const match of html.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+)"/g)) assets.add(match[1]!);
    }
    expect(assets.size).toBeGreaterThan(0);
    for (const asset of assets) await record(`GET ${asset}`, await fetchApp(asset));
    for (const route of ["/api/health", "/api/metrics", "/api/admin/session", "/api/admin/doctor", "/api/chat"]) await record(`GET ${route}`, await fetchApp(route));
    // The launch doctor run with every secret set and every provider unreachable: its failures
    // quote the providers' errors, never a value.
    const doctor = await fetchApp(`/api/admin/doctor`, { headers: { authorization: `Bearer ${secretEnv.ADMIN_TOKEN}` } });
    expect(doctor.status).toBe(200);
    await record("GET /api/admin/doctor (admin)", doctor);
    const identity = await fetchApp(`/api/demo/identity`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "ben@example.com" }) });
    await record("POST /api/demo/identity", identity);
    await record("POST /api/webhooks/stripe (bad signature)", await fetchApp(`/api/webhooks/stripe`, { method: "POST", headers: { "stripe-signature": "t=1,v1=00" }, body: "{}" }));
    await record("POST /api/webhooks/kit (bad signature)", await fetchApp(`/api/webhooks/kit`, { method: "POST", headers: { "x-kit-signature": "t=1,v1=00" }, body: "{}" }));
    await record("POST /api/admin/session (wrong password)", await fetchApp(`/api/admin/session`, { method: "POST", headers: { "content-type": "application/json", origin: app.url }, body: JSON.stringify({ email: "nobody@example.com", password: "wrong-password-123" }) }));
    expect(seen.size).toBeGreaterThan(10);
    await responses.expectClean();
  });
});
