import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDbKind } from "../../lib/sandbox/database";
import { demoServerSecrets, ResponseRecorder } from "../helpers/e2e-responses";
import { freePort, startServer, type ChildServer } from "../helpers/processes";

// The demo as a person uses it, in real Chromium: the product started on its embedded defaults
// (`npm run serve`: seeded customers, sandbox Circle and Kit, worker inside), the demo host page,
// the widget in its iframe. Runs once, with the PGlite suite: the demo is the embedded setup.
// A canary sits in every secret variable; no response the test sees may carry one.

const CHROMIUM = "/usr/bin/chromium";
const runs = testDbKind === "pglite" && fs.existsSync(CHROMIUM) && fs.existsSync(".next/BUILD_ID");
const SCREENSHOTS = path.resolve("test-results");

let app: ChildServer;
let browser: Browser;
const secrets = demoServerSecrets();
const responses = new ResponseRecorder(secrets.needles);

beforeAll(async () => {
  if (!runs) return;
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-widget-"));
  responses.interceptFetch();
  app = await startServer(
    "npx",
    ["tsx", "scripts/start.ts", "--no-build"],
    { ...secrets.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn", PUBLIC_URL: `http://127.0.0.1:${port}` },
    port,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  responses.watchBrowser(browser);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  responses.stop();
  await browser?.close();
  await app?.stop();
});

describe.skipIf(!runs)("the widget in Chromium", () => {
  it("answers a customer who paid and is not in the community yet, from the record", async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await page.goto(app.url);
    await page.getByLabel("Signed in as (demo customers)").selectOption("ben@example.com");
    const widget = page.frameLocator('iframe[title="Support chat"]');
    const input = widget.getByLabel("Your message");
    await input.waitFor();
    await input.fill("I paid but I can't get into the community");
    await input.press("Enter");
    const answer = widget.locator(".message.assistant").last();
    await expect.poll(async () => (await answer.textContent()) ?? "", { timeout: 20_000 }).toMatch(/payment went through on .*invitation to the .* was sent/);
    expect(await answer.textContent()).not.toMatch(/you have access/i);
    await page.screenshot({ path: path.join(SCREENSHOTS, "widget-paid-not-in-yet.png"), fullPage: true });

    // The conversation survives a reload.
    await page.reload();
    await page.getByLabel("Signed in as (demo customers)").selectOption("ben@example.com");
    await expect.poll(async () => page.frameLocator('iframe[title="Support chat"]').locator(".message").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it("shows a plain error for an expired or forged identity", async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 640 } });
    await page.goto(`${app.url}/widget#token=not-a-real-token`);
    await expect.poll(async () => (await page.locator(".notice").textContent()) ?? "", { timeout: 10_000 }).toMatch(/sign-in has expired/);
    await page.close();
  });

  it("sent no secret value and no server-only variable name in any response", async () => {
    await responses.expectClean({ browser: true });
  });
});
