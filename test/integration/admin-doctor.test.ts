import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAdmin } from "../../lib/admin/accounts";
import { SETUP_OPERATOR } from "../helpers/actors";
import { signIn } from "../../lib/admin/api";
import { doctorRoute, REDACTED, type DoctorRouteDeps, type DoctorView } from "../../lib/admin/doctor-view";
import { parseEnv } from "../../lib/config";
import { createSignInLimiter } from "../../lib/ratelimit";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { fakeResolver } from "../helpers/doctor-fakes";

// GET /api/admin/doctor: the launch checklist for the admin only (the bearer token or a console
// session), with no secret value of the checked environment in the answer, even when a provider
// echoes one back; a provider that never answers costs the route its timeout, not the request.

const ORIGIN = "http://console.test";
const ADMIN_TOKEN = "admin-token-for-the-doctor-route-0123";
const SESSION_SECRET = "session-secret-for-the-doctor-route-0123456789";
const ANA = { email: "ana@example.com", name: "Ana Admin", password: "ana's long password" };
const STRIPE_KEY = "rk_live_canarydoctorroute0123456789";
const CHECKED_ADMIN_TOKEN = "checked-admin-token-canary-0123456789";

/** A Stripe stand-in that refuses every key and, unlike Stripe, echoes it whole; or never answers. */
let stripe: Server;
let stripeUrl = "";
let hang = false;
let stripeRequests = 0;

beforeAll(async () => {
  stripe = createServer((req, res) => {
    stripeRequests++;
    if (hang) return;
    const key = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { type: "invalid_request_error", message: `Invalid API Key provided: ${key}` } }));
  });
  await new Promise<void>((resolve) => stripe.listen(0, "127.0.0.1", resolve));
  stripeUrl = `http://127.0.0.1:${(stripe.address() as AddressInfo).port}`;
});
afterAll(async () => {
  stripe.closeAllConnections();
  await new Promise((resolve) => stripe.close(resolve));
});

let stack: Stack;
let deps: DoctorRouteDeps;
beforeEach(async () => {
  hang = false;
  stripeRequests = 0;
  stack = await startStack();
  await createAdmin(stack.db, ANA, SETUP_OPERATOR);
  deps = {
    env: parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" }),
    db: stack.db,
    sessionSecret: SESSION_SECRET,
    // The environment being checked: a production setup with a revoked Stripe key.
    doctorEnv: {
      APP_MODE: "production",
      ADMIN_TOKEN: CHECKED_ADMIN_TOKEN,
      STRIPE_SECRET_KEY: STRIPE_KEY,
      STRIPE_API_URL: stripeUrl,
      PUBLIC_URL: "http://support.example.com",
    },
    doctor: { resolver: fakeResolver({}), loadCatalog: () => stack.catalog, timeoutMs: 400 },
  };
});
afterEach(async () => {
  await stack.stop();
});

const get = (headers: Record<string, string> = {}, query = "") => doctorRoute(new Request(`${ORIGIN}/api/admin/doctor${query}`, { headers }), deps);

async function sessionCookie(): Promise<string> {
  const signInLimiter = createSignInLimiter({ kind: "memory", keySecret: SESSION_SECRET, prefix: "doctor-route" });
  try {
    const response = await signIn(
      new Request(`${ORIGIN}/api/admin/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: ANA.email, password: ANA.password }) }),
      { ...deps, signInLimiter },
    );
    expect(response.status).toBe(200);
    return response.headers.getSetCookie()[0]!.split(";")[0]!;
  } finally {
    await signInLimiter.close();
  }
}

describe("GET /api/admin/doctor", () => {
  it("refuses a visitor (401) and a query (400), running no check", async () => {
    const refused = await get();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "sign in, or send the admin token" });
    expect((await get({ authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${ADMIN_TOKEN}` }, "?verbose=1")).status).toBe(400);
    expect(stripeRequests).toBe(0);
  });

  it("answers the admin token and a console session with the checklist, a revoked key failing with its fix, its echo redacted", async () => {
    const asAdmin: Record<string, string>[] = [{ authorization: `Bearer ${ADMIN_TOKEN}` }, { cookie: await sessionCookie() }];
    for (const headers of asAdmin) {
      const before = stripeRequests;
      const response = await get(headers);
      expect(response.status).toBe(200);
      expect(stripeRequests).toBe(before + 1);
      const text = await response.text();
      expect(text).not.toContain(STRIPE_KEY);
      expect(text).not.toContain(CHECKED_ADMIN_TOKEN);
      const view = JSON.parse(text) as DoctorView;
      expect(view.ready).toBe(false);
      expect(view.demo).toBe(false);
      expect(view.headline).toMatch(/^Not ready to go live: \d+ must-haves failing/);
      const key = view.rows.find((row) => row.id === "stripe.key")!;
      expect(key).toMatchObject({ status: "fail", statusLabel: "Fail", requirement: "must-have" });
      expect(key.detail).toBe(`Stripe refused the key (401): Invalid API Key provided: ${REDACTED}`);
      expect(key.fix.join(" ")).toMatch(/STRIPE_SECRET_KEY is wrong, revoked or expired/);
      expect(view.rows.find((row) => row.id === "https.reachable")).toMatchObject({ status: "fail", fix: [expect.stringMatching(/serve the app over HTTPS/)] });
      expect(view.rows.find((row) => row.id === "env")!.items.map((item) => item.name)).toContain("DATABASE_URL");
    }
  });

  it("answers within the timeout when a provider never does", async () => {
    hang = true;
    const response = await get({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(response.status).toBe(200);
    const key = ((await response.json()) as DoctorView).rows.find((row) => row.id === "stripe.key")!;
    expect(key.status).toBe("fail");
    expect(key.detail).toMatch(/^Stripe could not be reached/);
  });
});
