import os from "node:os";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { Redis as IORedis } from "ioredis";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { getSession, listJobs, replayJob, signIn, signOut, type SignInDeps } from "../../lib/admin/api";
import { createAdmin, verifyAdminPassword } from "../../lib/admin/accounts";
import { SETUP_OPERATOR } from "../helpers/actors";
import { authorizeAdmin, isSameOrigin } from "../../lib/admin/guard";
import { SESSION_COOKIE } from "../../lib/admin/session";
import { parseEnv, type Env } from "../../lib/config";
import { createSignInLimiter, type RateLimitStore, type SignInLimiter } from "../../lib/ratelimit";
import { testDbKind } from "../../lib/sandbox/database";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase } from "../../lib/sandbox/stripe-events";
import { DEMO_ADMIN_DEFAULT_PASSWORD, seedDemoAdmin } from "../../prisma/seed";
import { adminCreate, readPasswordFrom } from "../../scripts/admin-create";

// Console accounts and sessions through the admin API's handlers: sign-in, the session on admin
// routes, sign-out, expiry, the failed-sign-in limits, cross-site refusal, the audit actor, the
// cookie's flags, and the admin:create command.

const ORIGIN = "http://console.test";
const ADMIN_TOKEN = "admin-token-for-the-auth-test-0123";
const SESSION_SECRET = "session-secret-for-the-auth-test-0123456789";
const ANA = { email: "ana@example.com", name: "Ana Admin", password: "ana's long password" };
const BOB = { email: "bob@example.com", name: "Bob Admin", password: "bob's long password" };
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const RUN_PREFIX = `test:signin:${randomUUID()}`;

let stack: Stack;
let deps: SignInDeps;
let limiters: SignInLimiter[] = [];

function depsWith(store: RateLimitStore, env: Env = parseEnv({ ADMIN_TOKEN, APP_MODE: "demo" })): SignInDeps {
  const signInLimiter = createSignInLimiter({ ...store, keySecret: SESSION_SECRET, prefix: `${RUN_PREFIX}:${randomUUID()}` });
  limiters.push(signInLimiter);
  return { env, db: stack.db, sessionSecret: SESSION_SECRET, signInLimiter };
}

beforeEach(async () => {
  stack = await startStack();
  deps = depsWith({ kind: "memory" });
  await createAdmin(stack.db, ANA, SETUP_OPERATOR);
  await createAdmin(stack.db, BOB, SETUP_OPERATOR);
});
afterEach(async () => {
  await Promise.all(limiters.map((limiter) => limiter.close()));
  limiters = [];
  await stack.stop();
});
afterAll(async () => {
  const redis = new IORedis(REDIS_URL);
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${RUN_PREFIX}:*`, count: 500 })) keys.push(...(batch as string[]));
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

interface Call {
  method?: string;
  cookie?: string | null;
  token?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A request as the console's own page sends it (same Origin), unless `headers` says otherwise ("" drops a header). */
function request(path: string, { method = "GET", cookie, token, headers = {}, body }: Call = {}): Request {
  const merged: Record<string, string> = {
    ...(method === "GET" ? {} : { origin: ORIGIN }),
    ...(body === undefined ? {} : { "content-type": "application/json" }),
    ...(cookie ? { cookie } : {}),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  };
  return new Request(`${ORIGIN}${path}`, {
    method,
    headers: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== "")),
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

const signInAs = (credentials: { email: string; password: string }, headers: Record<string, string> = {}, using = deps) =>
  signIn(request("/api/admin/session", { method: "POST", body: { email: credentials.email, password: credentials.password }, headers }), using);

/** The `name=value` a browser would send back for the response's session cookie. */
function cookieOf(response: Response): string {
  const setCookie = response.headers.getSetCookie();
  expect(setCookie).toHaveLength(1);
  return setCookie[0]!.split(";")[0]!;
}

async function signedIn(credentials = ANA): Promise<string> {
  const response = await signInAs(credentials);
  expect(response.status).toBe(200);
  return cookieOf(response);
}

const jobsWith = (call: Call) => listJobs(request("/api/admin/jobs", call), deps);
const replay = (id: string, call: Call) => replayJob(request(`/api/admin/jobs/${id}/replay`, { method: "POST", ...call }), deps, id);
const sessionRows = () => stack.db.sql<{ tokenHash: string; adminId: string }>(`SELECT "tokenHash", "adminId" FROM "AdminSession"`);
const audits = () => stack.db.sql<{ actor: string; correlationId: string }>(`SELECT actor, "correlationId" FROM "AuditLog" WHERE action = 'job.replay'`);
const jobState = async (id: string) => (await stack.db.sql<{ status: string; attempts: number }>(`SELECT status::text, attempts FROM "Job" WHERE id = $1`, [id]))[0];

/** Dead Circle grants, one per purchase, with Circle answering 500 throughout. */
async function deadGrants(count: number): Promise<string[]> {
  stack.circle.fail({ status: 500, times: 10_000 });
  for (let i = 0; i < count; i++) expect((await stack.postStripe(checkoutCompleted(newPurchase()))).status).toBe(200);
  await stack.drain();
  const dead = await stack.db.sql<{ id: string }>(`SELECT id FROM "Job" WHERE status = 'dead' ORDER BY "createdAt", id`);
  expect(dead).toHaveLength(count);
  return dead.map((job) => job.id);
}

describe("signing in", () => {
  it("signs in, and the session works on an admin GET and on GET /api/admin/session", async () => {
    const response = await signInAs({ email: "  Ana@Example.COM ", password: ANA.password });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ email: ANA.email, name: ANA.name });
    const cookie = cookieOf(response);
    // Sealed: neither the email nor the stored hash is readable in it.
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    expect(cookie).not.toContain("ana");
    const rows = await sessionRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(cookie).not.toContain(rows[0]!.tokenHash);

    const jobs = await jobsWith({ cookie });
    expect(jobs.status).toBe(200);
    expect(await jobs.json()).toEqual({ jobs: expect.any(Array) });
    const session = await getSession(request("/api/admin/session", { cookie }), deps);
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ email: ANA.email, name: ANA.name });
  });

  it("answers a wrong password and an unknown email with the same 401, and opens no session", async () => {
    const wrongPassword = await signInAs({ email: ANA.email, password: "not ana's password" });
    const unknownEmail = await signInAs({ email: "nobody@example.com", password: ANA.password });
    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.status).toBe(401);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(await wrongPassword.json()).toEqual({ error: "email or password is wrong" });
    expect(await unknownEmail.json()).toEqual({ error: "email or password is wrong" });
    expect(await sessionRows()).toEqual([]);
  });

  it.each<[string, unknown, number]>([
    ["a body that is not JSON", "{email", 400],
    ["no password", { email: ANA.email }, 400],
    ["an email that is not one", { email: "ana", password: ANA.password }, 400],
    ["an unknown field", { email: ANA.email, password: ANA.password, admin: true }, 400],
    ["a body over 16 KiB", { email: ANA.email, password: "x".repeat(17_000) }, 413],
  ])("refuses %s with %i and opens no session", async (_case, body, status) => {
    const response = await signIn(request("/api/admin/session", { method: "POST", body }), deps);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toBeTruthy();
    expect(await sessionRows()).toEqual([]);
  });

  it("refuses a sign-in posted from another site (login CSRF)", async () => {
    const refused: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "null" }, { origin: "", "sec-fetch-site": "cross-site" }];
    for (const headers of refused) {
      const response = await signInAs(ANA, headers);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: "cross-site request refused" });
    }
    expect(await sessionRows()).toEqual([]);
  });

  it("does not take a bearer token as a signed-in admin, nor a forged or foreign cookie", async () => {
    expect((await getSession(request("/api/admin/session", { token: ADMIN_TOKEN }), deps)).status).toBe(401);
    const cookie = await signedIn();
    const tampered = `${cookie.slice(0, -6)}AAAAAA`;
    expect((await jobsWith({ cookie: tampered })).status).toBe(401);
    // Sealed with another secret: another deployment's cookie opens nothing here.
    const other = await signInAs(ANA, {}, { ...deps, sessionSecret: "another-deployment-session-secret-0123456789" });
    expect((await jobsWith({ cookie: cookieOf(other) })).status).toBe(401);
    expect((await jobsWith({ cookie: `${SESSION_COOKIE}=garbage` })).status).toBe(401);
  });
});

describe.each<[string, RateLimitStore]>([
  ["memory", { kind: "memory" }],
  ["redis", { kind: "redis", url: REDIS_URL }],
])("failed sign-ins on the %s store", (_name, store) => {
  beforeEach(() => {
    deps = depsWith(store);
  });

  it("limits an account at an address after 5 failures (429, Retry-After, even with the right password); another account signs in", async () => {
    const address = { "x-forwarded-for": "203.0.113.7, 10.0.0.1" };
    // Correct sign-ins do not count.
    for (let i = 0; i < 6; i++) expect((await signInAs(ANA, address)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await signInAs({ email: ANA.email, password: `wrong guess ${i}` }, address)).status).toBe(401);
    const limited = await signInAs(ANA, address);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(((await limited.json()) as { error: string }).error).toMatch(/^too many failed sign-ins: try again in \d+ minutes?$/);
    // Whoever failed on purpose locked Ana out only where they are: she signs in from her own address.
    expect((await signInAs(ANA, { "x-forwarded-for": "198.51.100.99" })).status).toBe(200);
    // Bob, from the same address, is not blocked.
    expect((await signInAs(BOB, address)).status).toBe(200);
  });

  it("limits an account after 50 failures spread over addresses, wherever the next attempt comes from", { timeout: 60_000 }, async () => {
    for (let i = 0; i < 50; i++) {
      const from = { "x-forwarded-for": `192.0.2.${i + 1}` };
      expect((await signInAs({ email: ANA.email, password: `spread guess ${i}` }, from)).status).toBe(401);
    }
    expect((await signInAs(ANA, { "x-forwarded-for": "198.51.100.77" })).status).toBe(429);
    expect((await signInAs(BOB, { "x-forwarded-for": "198.51.100.77" })).status).toBe(200);
  });

  it("limits an address after 20 failures across accounts; the accounts sign in from elsewhere", async () => {
    const address = { "x-real-ip": "198.51.100.7" };
    for (let i = 0; i < 20; i++) expect((await signInAs({ email: `guess${i}@example.com`, password: "a guessed password" }, address)).status).toBe(401);
    const limited = await signInAs(BOB, address);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await signInAs(BOB, { "x-real-ip": "198.51.100.8" })).status).toBe(200);
    expect((await signInAs(ANA, { "x-forwarded-for": "198.51.100.9" })).status).toBe(200);
    // The proxy appends the address it saw; an entry the client put in front of it changes nothing.
    expect((await signInAs(BOB, { "x-forwarded-for": "192.0.2.50, 198.51.100.7" })).status).toBe(429);
  });
});

describe("sessions", () => {
  it("signs out: the row is deleted, the cookie cleared, and the old cookie gets 401", async () => {
    const cookie = await signedIn();
    const response = await signOut(request("/api/admin/session", { method: "DELETE", cookie }), deps);
    expect(response.status).toBe(200);
    const cleared = response.headers.getSetCookie();
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict$`));
    expect(await sessionRows()).toEqual([]);
    expect((await jobsWith({ cookie })).status).toBe(401);
    expect((await getSession(request("/api/admin/session", { cookie }), deps)).status).toBe(401);
    expect((await signOut(request("/api/admin/session", { method: "DELETE" }), deps)).status).toBe(401);
  });

  it("refuses a sign-out from another site and keeps the session", async () => {
    const cookie = await signedIn();
    const response = await signOut(request("/api/admin/session", { method: "DELETE", cookie, headers: { origin: "https://evil.example" } }), deps);
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await sessionRows()).toHaveLength(1);
    expect((await jobsWith({ cookie })).status).toBe(200);
  });

  it("gets 401 once the session has expired", async () => {
    const cookie = await signedIn();
    await stack.db.sql(`UPDATE "AdminSession" SET "expiresAt" = now() - interval '1 second'`);
    expect((await jobsWith({ cookie })).status).toBe(401);
    expect((await getSession(request("/api/admin/session", { cookie }), deps)).status).toBe(401);
  });

  it("slides the expiry 12 hours on use, never past 7 days after sign-in", async () => {
    const cookie = await signedIn();
    await stack.db.sql(`UPDATE "AdminSession" SET "expiresAt" = now() + interval '1 minute'`);
    expect((await jobsWith({ cookie })).status).toBe(200);
    const slid = async () =>
      (
        await stack.db.sql<{ idle: boolean; capped: boolean }>(
          `SELECT "expiresAt" BETWEEN now() + interval '11 hours 59 minutes' AND now() + interval '12 hours 1 minute' AS idle,
                  abs(extract(epoch FROM "expiresAt" - ("createdAt" + interval '7 days'))) < 1 AS capped
             FROM "AdminSession"`,
        )
      )[0];
    expect(await slid()).toEqual({ idle: true, capped: false });
    // Signed in 7 days less an hour ago: the session ends at the 7 days, not 12 hours on.
    await stack.db.sql(`UPDATE "AdminSession" SET "createdAt" = now() - interval '7 days' + interval '1 hour'`);
    expect((await jobsWith({ cookie })).status).toBe(200);
    expect(await slid()).toEqual({ idle: false, capped: true });
  });

  it("sets the cookie HttpOnly, SameSite=Strict, Path=/, 7 days; Secure in production mode", async () => {
    const demo = (await signInAs(ANA)).headers.getSetCookie()[0]!;
    expect(demo).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=604740; Path=/; HttpOnly; SameSite=Strict$`));
    const production = depsWith({ kind: "memory" }, { ...deps.env, APP_MODE: "production" });
    const secure = await signInAs(ANA, {}, production);
    expect(secure.headers.getSetCookie()[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=604740; Path=/; HttpOnly; Secure; SameSite=Strict$`));
    const cleared = await signOut(request("/api/admin/session", { method: "DELETE", cookie: cookieOf(secure) }), production);
    expect(cleared.headers.getSetCookie()[0]).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
  });
});

describe("state-changing admin routes", () => {
  it("refuse a cross-site POST made with a valid session cookie: 403, no audit row, job and session unchanged", async () => {
    const [jobId] = await deadGrants(1);
    const cookie = await signedIn();
    const before = await stack.db.sql(`SELECT "expiresAt", "lastSeenAt" FROM "AdminSession"`);
    const refused: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: "http://console.test.evil.example" },
      // No Origin, and no Sec-Fetch-Site saying same-origin: refused too.
      { origin: "" },
      { origin: "", "sec-fetch-site": "cross-site" },
      { origin: "", "sec-fetch-site": "same-site" },
    ];
    for (const headers of refused) {
      const response = await replay(jobId!, { cookie, headers, body: { reason: "replay from elsewhere" } });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: "cross-site request refused" });
    }
    expect(await audits()).toEqual([]);
    expect(await jobState(jobId!)).toEqual({ status: "dead", attempts: 8 });
    expect(await stack.db.sql(`SELECT "expiresAt", "lastSeenAt" FROM "AdminSession"`)).toEqual(before);
  });

  it("record the authenticated actor, whatever the body names: api-token for the token, admin:<email> for a session", async () => {
    const [byToken, bySession, bySameOriginFetch] = await deadGrants(3);
    // The bearer token is not a cookie: another Origin does not matter to it.
    const tokenCall = await replay(byToken!, { token: ADMIN_TOKEN, headers: { origin: "https://evil.example" }, body: { admin: "Somebody Else", reason: "outage over" } });
    expect(tokenCall.status).toBe(200);
    const cookie = await signedIn();
    const sessionCall = await replay(bySession!, { cookie, body: { admin: "Bob", reason: "outage over" } });
    expect(sessionCall.status).toBe(200);
    // A same-origin request a browser sent without Origin (Sec-Fetch-Site says so).
    const fetchCall = await replay(bySameOriginFetch!, { cookie, headers: { origin: "", "sec-fetch-site": "same-origin" }, body: { reason: "outage over" } });
    expect(fetchCall.status).toBe(200);
    const actors = Object.fromEntries((await audits()).map((audit) => [audit.correlationId, audit.actor]));
    expect(actors).toEqual({ [byToken!]: "api-token", [bySession!]: `admin:${ANA.email}`, [bySameOriginFetch!]: `admin:${ANA.email}` });
  });
});

describe("isSameOrigin", () => {
  const env = (publicUrl?: string) => parseEnv({ APP_MODE: "demo", PUBLIC_URL: publicUrl });
  it.each<[string, string, Record<string, string>, string | undefined, boolean]>([
    ["the request's own origin", "http://console.test/x", { origin: "http://console.test" }, undefined, true],
    ["the Host header's origin", "http://127.0.0.1:3000/x", { origin: "http://admin.local:3000", host: "admin.local:3000" }, undefined, true],
    ["PUBLIC_URL's origin (behind a TLS proxy)", "http://10.0.0.5:3000/x", { origin: "https://support.example.com" }, "https://support.example.com/app", true],
    ["another scheme", "http://console.test/x", { origin: "https://console.test" }, undefined, false],
    ["another port", "http://console.test/x", { origin: "http://console.test:8080" }, undefined, false],
    ["a sibling subdomain", "http://console.test/x", { origin: "http://evil.console.test" }, undefined, false],
    ["Origin null", "http://console.test/x", { origin: "null" }, undefined, false],
    ["no Origin, Sec-Fetch-Site same-origin", "http://console.test/x", { "sec-fetch-site": "same-origin" }, undefined, true],
    ["no Origin, Sec-Fetch-Site none", "http://console.test/x", { "sec-fetch-site": "none" }, undefined, false],
    ["neither header", "http://console.test/x", {}, undefined, false],
  ])("%s -> %s", (_case, url, headers, publicUrl, expected) => {
    expect(isSameOrigin(new Request(url, { method: "POST", headers }), env(publicUrl))).toBe(expected);
  });

  it("is not asked of GET requests", async () => {
    const cookie = await signedIn();
    const authorized = await authorizeAdmin(request("/api/admin/jobs", { cookie, headers: { origin: "https://evil.example" } }), deps);
    expect(authorized).toMatchObject({ ok: true, actor: { kind: "admin", email: ANA.email, name: ANA.name } });
  });
});

describe("accounts", () => {
  it("hashes with argon2id, normalises the email, and refuses a short password or a taken email", async () => {
    const [row] = await stack.db.sql<{ passwordHash: string }>(`SELECT "passwordHash" FROM "AdminUser" WHERE email = $1`, [ANA.email]);
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyAdminPassword(stack.db, " ANA@example.com", ANA.password)).toMatchObject({ email: ANA.email, name: ANA.name });
    expect(await verifyAdminPassword(stack.db, ANA.email, "wrong")).toBeNull();
    await expect(createAdmin(stack.db, { email: "cy@example.com", name: "Cy", password: "short" }, SETUP_OPERATOR)).rejects.toThrow("password: at least 12 characters");
    await expect(createAdmin(stack.db, { ...ANA, email: "ANA@example.com" }, SETUP_OPERATOR)).rejects.toThrow("an admin with the email ana@example.com already exists");
  });

  it("seeds the demo admin outside production only, with DEMO_ADMIN_PASSWORD when set", async () => {
    await seedDemoAdmin(stack.db, { APP_MODE: "demo", DEMO_ADMIN_PASSWORD: undefined });
    expect((await signInAs({ email: "admin@example.com", password: DEMO_ADMIN_DEFAULT_PASSWORD })).status).toBe(200);
    await seedDemoAdmin(stack.db, { APP_MODE: "demo", DEMO_ADMIN_PASSWORD: "my own demo password" });
    expect((await signInAs({ email: "admin@example.com", password: "my own demo password" })).status).toBe(200);
    expect((await signInAs({ email: "admin@example.com", password: DEMO_ADMIN_DEFAULT_PASSWORD })).status).toBe(401);
    await expect(seedDemoAdmin(stack.db, { APP_MODE: "production", DEMO_ADMIN_PASSWORD: undefined })).rejects.toThrow(/not seeded in production/);
    expect(await stack.db.sql(`SELECT email FROM "AdminUser" WHERE email = 'admin@example.com'`)).toHaveLength(1);
  });
});

describe("npm run admin:create", () => {
  async function run(argv: string[], stdin: string) {
    const lines = { out: [] as string[], err: [] as string[] };
    const code = await adminCreate(argv, {
      db: stack.db,
      operator: "deploy",
      password: () => readPasswordFrom(Readable.from([stdin])),
      out: (line) => lines.out.push(line),
      err: (line) => lines.err.push(line),
    });
    return { code, ...lines };
  }

  it("creates an admin with the password from stdin, refuses a taken email, a short password and a missing --email", async () => {
    expect(await run(["--email", "Cy@Example.com", "--name", "Cy Admin"], "cy's long password\n")).toEqual({
      code: 0,
      out: ["created admin Cy Admin <cy@example.com>"],
      err: [],
    });
    expect((await signInAs({ email: "cy@example.com", password: "cy's long password" })).status).toBe(200);
    expect(await run(["--email", "dee@example.com"], "dee's long password")).toMatchObject({ code: 0, out: ["created admin dee <dee@example.com>"] });
    expect(await run(["--email", "cy@example.com"], "another long password\n")).toEqual({
      code: 1,
      out: [],
      err: ["admin:create: an admin with the email cy@example.com already exists"],
    });
    expect(await run(["--email", "eve@example.com"], "short\n")).toMatchObject({ code: 1, err: ["admin:create: password: at least 12 characters"] });
    expect(await run(["--email", "eve@example.com"], "\n")).toMatchObject({ code: 1, err: ["admin:create: no password on stdin"] });
    expect(await run(["--name", "Nobody"], "a long enough password")).toMatchObject({ code: 2, err: [expect.stringContaining("--email is required")] });
    expect(await run(["--email", "x@example.com", "--role", "root"], "a long enough password")).toMatchObject({ code: 2 });
    expect((await stack.db.sql(`SELECT email FROM "AdminUser" ORDER BY email`)).map((row) => row.email)).toEqual([
      ANA.email,
      BOB.email,
      "cy@example.com",
      "dee@example.com",
    ]);
    // Each account created is audited under the operator who ran the command; refusals write nothing, and no row holds a password.
    const audited = await stack.db.sql<{ actor: string; after: { email: string; name: string } }>(
      `SELECT actor, after FROM "AuditLog" WHERE action = 'admin.create' AND actor = 'operator:deploy' ORDER BY "createdAt"`,
    );
    expect(audited.map((row) => [row.after.email, row.after.name])).toEqual([
      ["cy@example.com", "Cy Admin"],
      ["dee@example.com", "dee"],
    ]);
    const everything = JSON.stringify(await stack.db.sql(`SELECT * FROM "AuditLog"`));
    expect(everything).not.toContain("long password");
    expect(everything).not.toContain("argon2");
  });

  it.runIf(testDbKind === "postgres")("runs as a command on PostgreSQL: stdin in, exit 0; the same email again exits 1", async () => {
    const command = (stdin: string) =>
      new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn("npx", ["tsx", "scripts/admin-create.ts", "--email", "fay@example.com", "--name", "Fay Admin"], {
          env: { ...process.env, DATABASE_URL: stack.testDb.url!, APP_MODE: "demo", LOG_LEVEL: "silent" },
          stdio: ["pipe", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code, output }));
        child.stdin.end(stdin);
      });
    const created = await command("fay's long password\n");
    expect(created).toEqual({ code: 0, output: "created admin Fay Admin <fay@example.com>\n" });
    expect((await signInAs({ email: "fay@example.com", password: "fay's long password" })).status).toBe(200);
    const again = await command("fay's long password\n");
    expect(again.code).toBe(1);
    expect(again.output).toContain("admin:create: an admin with the email fay@example.com already exists");
    // Audited once, under the operating system's user who ran it.
    const audited = await stack.db.sql<{ actor: string }>(`SELECT actor FROM "AuditLog" WHERE action = 'admin.create' AND after->>'email' = 'fay@example.com'`);
    expect(audited).toEqual([{ actor: `operator:${os.userInfo().username}` }]);
  });
});
