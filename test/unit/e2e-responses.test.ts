import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { SECRET_VARIABLES } from "../../lib/config";
import { demoServerSecrets, DEMO_RUNS_WITHOUT, isTextLike, launchDoctorNamesVariables, leaksIn, ResponseRecorder, type Needles, type RecordedResponse } from "../helpers/e2e-responses";

// The e2e runs' response scanner itself: it must catch a planted secret in a body and in a
// header (as is, URL-encoded, base64) and a server-only variable name, and must not flag a
// clean response; the recorder must see what a test fetches.

const SECRET = "canary0123456789abcdef0123456789ab";
const PASSWORD = "p@ss/w0rd+canary";
const needles: Needles = {
  values: [
    { name: "ADMIN_TOKEN", value: SECRET },
    { name: "DATABASE_URL password", value: PASSWORD },
  ],
  names: ["ADMIN_TOKEN", "DATABASE_URL"],
  mayNameVariables: launchDoctorNamesVariables,
};

const response = (overrides: Partial<RecordedResponse> = {}): RecordedResponse => ({
  label: "GET http://app.test/",
  url: "http://app.test/",
  status: 200,
  headers: [["content-type", "text/html; charset=utf-8"]],
  body: "<!doctype html><p>Hello, the admin token is never here.</p>",
  ...overrides,
});

describe("leaksIn", () => {
  it("flags nothing in a clean response", () => {
    expect(leaksIn(response(), needles)).toEqual([]);
    // A longer identifier that merely contains a name is not the name.
    expect(leaksIn(response({ body: "MY_ADMIN_TOKENS and ADMIN_TOKEN_X and DATABASE_URLS" }), needles)).toEqual([]);
  });

  it.each([
    ["as is", `<script>window.t="${SECRET}"</script>`, "ADMIN_TOKEN"],
    ["URL-encoded", `<a href="/x?p=${encodeURIComponent(PASSWORD)}">`, "DATABASE_URL password"],
    ["base64", `{"blob":"${Buffer.from(SECRET).toString("base64")}"}`, "ADMIN_TOKEN"],
  ])("catches a secret planted in a body, %s", (_case, body, what) => {
    expect(body).not.toContain(PASSWORD);
    expect(leaksIn(response({ body }), needles)).toEqual([{ label: "GET http://app.test/", where: "body", what, kind: "secret value" }]);
  });

  it("catches a secret planted in a header", () => {
    const leaks = leaksIn(response({ headers: [["content-type", "application/json"], ["x-debug", `token=${SECRET}`]], body: "{}" }), needles);
    expect(leaks).toEqual([{ label: "GET http://app.test/", where: "header", what: "ADMIN_TOKEN", kind: "secret value" }]);
  });

  it("catches a server-only variable name, in a body or a header", () => {
    expect(leaksIn(response({ body: "set DATABASE_URL first" }), needles)).toEqual([{ label: "GET http://app.test/", where: "body", what: "DATABASE_URL", kind: "variable name" }]);
    expect(leaksIn(response({ headers: [["x-missing", "ADMIN_TOKEN"]] }), needles).map((leak) => [leak.where, leak.what])).toEqual([["header", "ADMIN_TOKEN"]]);
  });

  it("lets the launch doctor name variables, never show a value", () => {
    const doctor = (path: string, body: string) => response({ url: `http://app.test${path}`, label: `GET http://app.test${path}`, body });
    expect(leaksIn(doctor("/admin/doctor", "DATABASE_URL: set it"), needles)).toEqual([]);
    expect(leaksIn(doctor("/api/admin/doctor", "ADMIN_TOKEN is too short"), needles)).toEqual([]);
    expect(leaksIn(doctor("/admin/doctor", `ADMIN_TOKEN is ${SECRET}`), needles).map((leak) => leak.kind)).toEqual(["secret value"]);
    expect(leaksIn(doctor("/admin/doctors", "DATABASE_URL"), needles).map((leak) => leak.what)).toEqual(["DATABASE_URL"]);
  });

  it("searches the headers of a response without a text body", () => {
    expect(leaksIn(response({ headers: [["content-type", "image/png"], ["set-cookie", `s=${SECRET}`]], body: null }), needles)).toHaveLength(1);
  });
});

describe("isTextLike", () => {
  it.each([
    ["text/html; charset=utf-8", true],
    ["application/javascript", true],
    ["application/json", true],
    ["application/problem+json", true],
    ["text/css", true],
    ["text/event-stream", true],
    ["text/x-component", true],
    ["image/svg+xml", true],
    [undefined, true],
    ["image/png", false],
    ["font/woff2", false],
    ["application/octet-stream", false],
  ])("%s -> %s", (type, expected) => {
    expect(isTextLike(type)).toBe(expected);
  });
});

describe("demoServerSecrets", () => {
  it("puts a distinct canary in every secret variable the demo runs with, and scans for the sandbox's credentials", () => {
    const { env, needles: demo } = demoServerSecrets({ PORT: "3000" });
    const set = SECRET_VARIABLES.filter((name) => !(name in DEMO_RUNS_WITHOUT));
    expect(set.length).toBeGreaterThan(8);
    for (const name of set) expect(env[name], name).toMatch(/canary[0-9a-f]{32}$/);
    for (const name of Object.keys(DEMO_RUNS_WITHOUT)) expect(env[name], name).toBeUndefined();
    expect(new Set(set.map((name) => env[name])).size).toBe(set.length);
    const values = demo.values.map((secret) => secret.value);
    for (const name of set) expect(values).toContain(env[name]);
    expect(values).toContain(FAKE_CIRCLE_TOKEN);
    expect(env.PORT).toBe("3000");
  });
});

describe("ResponseRecorder", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/leaky-header") res.writeHead(200, { "content-type": "text/plain", "x-token": SECRET });
      else if (req.url === "/leaky-body") res.writeHead(200, { "content-type": "application/json" });
      else res.writeHead(200, { "content-type": "text/plain" });
      res.end(req.url === "/leaky-body" ? JSON.stringify({ token: SECRET }) : "fine");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("records what the test fetches, leaving the response to the test, and finds the planted secrets", async () => {
    const recorder = new ResponseRecorder(needles);
    recorder.interceptFetch();
    try {
      expect(await (await fetch(`${base}/clean`)).text()).toBe("fine");
      await fetch(`${base}/leaky-header`);
      await fetch(`${base}/leaky-body`, { method: "POST" });
    } finally {
      recorder.stop();
    }
    await fetch(`${base}/leaky-body`);
    await recorder.settle();
    expect(recorder.responses.map((recorded) => recorded.label).sort()).toEqual([`fetch GET ${base}/clean`, `fetch GET ${base}/leaky-header`, `fetch POST ${base}/leaky-body`]);
    expect(recorder.leaks().map((leak) => [leak.label, leak.where])).toEqual(
      expect.arrayContaining([
        [`fetch GET ${base}/leaky-header`, "header"],
        [`fetch POST ${base}/leaky-body`, "body"],
      ]),
    );
    expect(recorder.leaks()).toHaveLength(2);
    await expect(recorder.expectClean()).rejects.toThrow();
  });

  it("passes a run with only clean responses", async () => {
    const recorder = new ResponseRecorder(needles);
    recorder.interceptFetch();
    try {
      await fetch(`${base}/clean`);
    } finally {
      recorder.stop();
    }
    await recorder.expectClean();
  });
});
