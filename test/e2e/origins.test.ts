import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDbKind } from "../../lib/sandbox/database";
import { demoServerSecrets, ResponseRecorder } from "../helpers/e2e-responses";
import { freePort, startServer, type ChildServer } from "../helpers/processes";

// Which host sites may embed the widget and call the chat API, in real Chromium: the demo
// started with WIDGET_ALLOWED_ORIGINS naming one host site (a tiny server on another port); a
// second host site, not in the list, tries the same and is refused by the browser (the
// widget's frame-ancestors, the chat API's CORS) and by the app (403, nothing written). A canary
// sits in every secret variable; no response the test sees may carry one.

const CHROMIUM = "/usr/bin/chromium";
const runs = testDbKind === "pglite" && fs.existsSync(CHROMIUM) && fs.existsSync(".next/BUILD_ID");

let app: ChildServer;
let browser: Browser;
const secrets = demoServerSecrets();
const responses = new ResponseRecorder(secrets.needles);
let token: string;
const hosts: http.Server[] = [];
let allowedHost: string;
let otherHost: string;

/** A host site: one page embedding the widget in an iframe, as embed.js would. */
async function startHostSite(port: number): Promise<string> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(
      `<!doctype html><html><head><title>Member site</title></head><body><h1>Member site</h1>` +
        `<iframe id="widget" title="Support chat" src="${app.url}/widget#token=${encodeURIComponent(token)}" style="width:380px;height:600px;border:0"></iframe>` +
        `</body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  hosts.push(server);
  return `http://127.0.0.1:${port}`;
}

/** Sends a chat message from the host page with fetch, as a host site's own script would. */
function chatFromPage(page: Page, conversation: string) {
  return page.evaluate(
    async ({ url, token, conversation }) => {
      try {
        const response = await fetch(`${url}/api/chat`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ id: conversation, messages: [{ id: `${conversation}-1`, role: "user", parts: [{ type: "text", text: "Which plan am I on?" }] }] }),
        });
        return { status: response.status, body: await response.text() };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { url: app.url, token, conversation },
  );
}

/** The conversation as the app stored it (asked by the test, not a browser: no Origin). */
async function storedMessages(conversation: string): Promise<unknown[]> {
  const response = await fetch(`${app.url}/api/chat?id=${conversation}`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { messages: unknown[] }).messages;
}

beforeAll(async () => {
  if (!runs) return;
  const [appPort, allowedPort, otherPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-origins-"));
  responses.interceptFetch();
  app = await startServer(
    "npx",
    ["tsx", "scripts/start.ts", "--no-build"],
    {
      ...secrets.env,
      PORT: String(appPort),
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      PUBLIC_URL: `http://127.0.0.1:${appPort}`,
      WIDGET_ALLOWED_ORIGINS: `http://127.0.0.1:${allowedPort}`,
    },
    appPort,
  );
  const identity = await fetch(`${app.url}/api/demo/identity`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "ben@example.com" }) });
  token = ((await identity.json()) as { token: string }).token;
  allowedHost = await startHostSite(allowedPort);
  otherHost = await startHostSite(otherPort);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  responses.watchBrowser(browser);
}, 120_000);

afterAll(async () => {
  responses.stop();
  await browser?.close();
  await Promise.all(hosts.map((server) => new Promise((resolve) => server.close(resolve))));
  await app?.stop();
});

describe.skipIf(!runs)("host sites in Chromium", () => {
  it("lets the allowed host site frame the widget and call the chat API", async () => {
    const page = await browser.newPage();
    const console: string[] = [];
    page.on("console", (message) => console.push(message.text()));
    await page.goto(allowedHost);
    // The widget loads in the frame and runs (its scripts carry the page's nonce).
    await page.frameLocator("#widget").getByLabel("Your message").waitFor({ timeout: 20_000 });

    const result = await chatFromPage(page, "origins-allowed");
    expect(result).toMatchObject({ status: 200 });
    expect(await storedMessages("origins-allowed")).not.toHaveLength(0);
    expect(console.join("\n")).not.toMatch(/Content Security Policy|CORS/);
    await page.close();
  });

  it("stops another host site from framing the widget or calling the chat API", async () => {
    const page = await browser.newPage();
    const console: string[] = [];
    page.on("console", (message) => console.push(message.text()));
    await page.goto(otherHost);
    await expect.poll(() => console.join("\n"), { timeout: 10_000 }).toMatch(/frame-ancestors/);
    // The frame holds the browser's error page, not the widget.
    const frame = await (await page.$("#widget"))!.contentFrame();
    expect(frame?.url() ?? "").not.toContain(app.url);
    expect(await page.frameLocator("#widget").getByLabel("Your message").count()).toBe(0);

    const result = await chatFromPage(page, "origins-refused");
    expect(result).toMatchObject({ error: expect.stringMatching(/Failed to fetch/) });
    await expect.poll(() => console.join("\n")).toMatch(/CORS/);
    expect(await storedMessages("origins-refused")).toEqual([]);

    // The same request, sent by a script that ignores CORS, is refused by the app and writes nothing.
    const forged = await fetch(`${app.url}/api/chat`, {
      method: "POST",
      headers: { origin: otherHost, authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "origins-forged", messages: [{ id: "origins-forged-1", role: "user", parts: [{ type: "text", text: "hello" }] }] }),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("access-control-allow-origin")).toBeNull();
    expect(await storedMessages("origins-forged")).toEqual([]);
    await page.close();
  });

  it("keeps the demo's own page working under the content security policy", async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/.test(message.text())) violations.push(message.text());
    });
    const response = await page.goto(app.url);
    expect(response?.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    await page.getByLabel("Signed in as (demo customers)").selectOption("ben@example.com");
    await page.frameLocator('iframe[title="Support chat"]').getByLabel("Your message").waitFor({ timeout: 20_000 });
    expect(violations).toEqual([]);
    await page.close();
  });

  it("sent no secret value and no server-only variable name in any response", async () => {
    await responses.expectClean({ browser: true });
  });
});
