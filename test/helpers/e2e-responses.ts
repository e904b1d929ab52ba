import type { Browser, BrowserContext, Page, Response as BrowserResponse } from "playwright-core";
import { Agent } from "undici";
import { expect } from "vitest";
import { secretValuesOf } from "../../lib/admin/doctor-view";
import { FAKE_CIRCLE_TOKEN } from "../../lib/sandbox/circle";
import { FAKE_KIT_API_KEY } from "../../lib/sandbox/kit";
import { makeCanaries, serverOnlyNames } from "../../lib/security/bundle-scan";

// Secrets never reach a response of the e2e runs: every e2e server starts with a canary value in
// each secret variable it can run with, every response its test receives is recorded (each
// Playwright page's, headers and text bodies; each direct fetch's), and the file's last test
// asserts that none carries a secret value of that server's environment or a server-only
// variable name. The rules are scripts/scan-bundle.ts's (lib/security/bundle-scan.ts): a value
// as is, URL-encoded or base64; a name as a whole identifier.

export interface Secret {
  /** The variable it stands for. */
  name: string;
  value: string;
}

export interface Needles {
  values: Secret[];
  names: string[];
  /** Responses allowed to name server variables (never to carry a value): the admin's launch doctor, whose fixes name them. */
  mayNameVariables?: (url: URL) => boolean;
}

/** The console's launch doctor page and API explain the environment to the signed-in admin by variable name. */
export const launchDoctorNamesVariables = (url: URL) => /^\/(?:api\/)?admin\/doctor\/?$/.test(url.pathname);

/**
 * Secret variables a demo server is started without, and why: each would change what the demo is.
 * Their canaries stay with the build scan (scripts/scan-bundle.ts).
 */
export const DEMO_RUNS_WITHOUT: Record<string, string> = {
  DATABASE_URL: "the demo runs on its embedded database",
  REDIS_URL: "the demo keeps its rate limits in process",
  UPSTASH_REDIS_REST_TOKEN: "the demo keeps its rate limits in process",
  CIRCLE_API_TOKEN: "the demo's sandbox stands in for Circle only without a token (its own token is scanned for instead)",
  KIT_API_KEY: "the demo's sandbox stands in for Kit only without a key (its own key is scanned for instead)",
  OPENAI_API_KEY: "the demo answers with the offline model",
};

export interface ServerSecrets {
  /** To start the server with: a canary in every secret variable the demo runs with. */
  env: Record<string, string>;
  needles: Needles;
}

/** Every secret value the server's environment holds: each variable's (and URL password), as the console's doctor redacts them. */
export function secretsOfEnv(env: Record<string, string | undefined>): Secret[] {
  return secretValuesOf(env).map((value) => ({ name: Object.entries(env).find(([, candidate]) => candidate?.includes(value))?.[0] ?? "a secret", value }));
}

/**
 * Canary secrets for a demo server (`scripts/start.ts`): `extra` joins the environment (the test's
 * own settings); the sandbox's stand-in credentials, which start.ts hands the app, are needles too.
 */
export function demoServerSecrets(extra: Record<string, string> = {}): ServerSecrets {
  const canaries = makeCanaries();
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(canaries.env).filter(([name]) => !(name in DEMO_RUNS_WITHOUT))),
    // The doctor's one cheap read goes nowhere unless a test points it at a fake Stripe.
    STRIPE_API_URL: "http://127.0.0.1:1",
    ...extra,
  };
  const values = [
    ...secretsOfEnv(env),
    ...(env.CIRCLE_API_TOKEN ? [] : [{ name: "CIRCLE_API_TOKEN (sandbox)", value: FAKE_CIRCLE_TOKEN }]),
    ...(env.KIT_API_KEY ? [] : [{ name: "KIT_API_KEY (sandbox)", value: FAKE_KIT_API_KEY }]),
  ];
  return { env, needles: { values, names: serverOnlyNames(), mayNameVariables: launchDoctorNamesVariables } };
}

export interface RecordedResponse {
  /** `GET http://…` (browser) or `fetch GET http://…` (the test). */
  label: string;
  url: string;
  status: number;
  headers: Array<[string, string]>;
  /** The body for a text-like content type; null when not text or not retrievable. */
  body: string | null;
  /** Why a text body could not be read (the page closed mid-stream). */
  unreadable?: string;
  /**
   * The browser kept no body (Chromium drops many of Next's prefetches'): the same GET was sent
   * again in the page's context right away, and that body is searched.
   */
  refetched?: boolean;
}

export interface Leak {
  label: string;
  where: "header" | "body";
  what: string;
  kind: "secret value" | "variable name";
}

/** Content types whose bodies are searched: pages, scripts, styles, JSON, text, event streams, RSC payloads. */
export function isTextLike(contentType: string | undefined | null): boolean {
  if (!contentType) return true;
  return /^(?:text\/|application\/(?:json|[\w.+-]*\+json|javascript|x-javascript|ecmascript|xml|[\w.+-]*\+xml|x-www-form-urlencoded)|image\/svg\+xml)/i.test(contentType.trim());
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const namePattern = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${escape(name)}(?![A-Za-z0-9_])`);

function valueIn(text: string, value: string): boolean {
  return text.includes(value) || text.includes(encodeURIComponent(value)) || text.includes(Buffer.from(value).toString("base64"));
}

/** Pure: every needle found in one response's headers or body. */
export function leaksIn(response: RecordedResponse, needles: Needles): Leak[] {
  const leaks: Leak[] = [];
  const url = URL.canParse(response.url) ? new URL(response.url) : null;
  const checkNames = !(url && needles.mayNameVariables?.(url));
  const patterns = checkNames ? needles.names.map((name) => ({ name, pattern: namePattern(name) })) : [];
  const parts: Array<["header" | "body", string]> = [["header", response.headers.map(([key, value]) => `${key}: ${value}`).join("\n")]];
  if (response.body !== null) parts.push(["body", response.body]);
  for (const [where, text] of parts) {
    for (const { name, value } of needles.values) if (valueIn(text, value)) leaks.push({ label: response.label, where, what: name, kind: "secret value" });
    for (const { name, pattern } of patterns) if (pattern.test(text)) leaks.push({ label: response.label, where, what: name, kind: "variable name" });
  }
  return leaks;
}

/** How long `expectClean` waits for bodies still streaming (a chat answer) before it gives up on them. */
const SETTLE_MS = 15_000;

/** Records every response of the pages and fetches it is given; one per e2e file. */
export class ResponseRecorder {
  readonly responses: RecordedResponse[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** GETs whose body the browser did not keep, sent again one at a time (all at once would load the server the test is timing). */
  private refetches: Promise<void> = Promise.resolve();
  private restoreFetch: (() => void) | null = null;

  constructor(readonly needles: Needles) {}

  private track(work: Promise<void>) {
    const tracked = work.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** The same GET, with the page's headers and cookies, through the context's own request client. */
  private async refetch(context: BrowserContext, response: BrowserResponse): Promise<string> {
    // The headers the page sent (read now: the page may be closed), bar the cookie the context adds itself.
    const headers = Object.fromEntries(Object.entries(response.request().headers()).filter(([name]) => name !== "cookie" && !name.startsWith(":")));
    const again = await context.request.get(response.url(), { headers, maxRedirects: 0 });
    return again.text();
  }

  private async fromBrowser(context: BrowserContext, response: BrowserResponse): Promise<void> {
    const request = response.request();
    const status = response.status();
    let headers: Record<string, string>;
    try {
      headers = await response.allHeaders();
    } catch {
      headers = response.headers();
    }
    const recorded: RecordedResponse = { label: `${request.method()} ${response.url()}`, url: response.url(), status, headers: Object.entries(headers), body: null };
    // A redirect's body is never kept by the browser; an empty one has nothing to search.
    if (isTextLike(headers["content-type"]) && !(status >= 300 && status < 400) && status !== 204) {
      try {
        recorded.body = await response.text();
      } catch (error) {
        recorded.unreadable = error instanceof Error ? error.message.split("\n")[0] : String(error);
        if (request.method() === "GET") {
          // Sent again while the page's session is still the one that asked.
          this.refetches = this.refetches.then(async () => {
            try {
              recorded.body = await this.refetch(context, response);
              recorded.refetched = true;
            } catch (refetchError) {
              // Its context closed meanwhile (a page of its own): the body is gone for good.
              recorded.unreadable += `; sent again: ${refetchError instanceof Error ? refetchError.message.split("\n")[0] : String(refetchError)}`;
            }
          });
          await this.refetches;
        }
      }
    }
    this.responses.push(recorded);
  }

  /** Records every response `target` (a page with its frames, or a whole context) receives from now on. */
  watch(target: Page | BrowserContext): void {
    const context = "context" in target ? target.context() : target;
    target.on("response", (response: BrowserResponse) => this.track(this.fromBrowser(context, response)));
  }

  /** Watches every page and context `browser` opens from now on. */
  watchBrowser(browser: Browser): void {
    const newPage = browser.newPage.bind(browser);
    const newContext = browser.newContext.bind(browser);
    browser.newPage = async (...args) => {
      const page = await newPage(...args);
      this.watch(page);
      return page;
    };
    browser.newContext = async (...args) => {
      const context = await newContext(...args);
      this.watch(context);
      return context;
    };
  }

  /**
   * Records every response this test process fetches directly (global fetch), until `stop()`.
   * Each request gets a connection of its own: a kept-alive one that the server closes as idle
   * while a loaded test process is about to reuse it resets the request (ECONNRESET), a failure
   * of the test's transport and not of the server under test.
   */
  interceptFetch(): void {
    if (this.restoreFetch) return;
    const original = globalThis.fetch;
    const ownConnections = new Agent({ pipelining: 0 });
    globalThis.fetch = async (input, init) => {
      const response = await original(input, { ...init, dispatcher: ownConnections } as RequestInit);
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      const url = input instanceof Request ? input.url : String(input);
      const copy = response.clone();
      this.track(
        (async () => {
          const headers = [...copy.headers];
          const recorded: RecordedResponse = { label: `fetch ${method} ${url}`, url, status: copy.status, headers, body: null };
          if (isTextLike(copy.headers.get("content-type"))) {
            try {
              recorded.body = await copy.text();
            } catch (error) {
              recorded.unreadable = error instanceof Error ? error.message : String(error);
            }
          }
          this.responses.push(recorded);
        })(),
      );
      return response;
    };
    this.restoreFetch = () => {
      globalThis.fetch = original;
      void ownConnections.close();
    };
  }

  stop(): void {
    this.restoreFetch?.();
    this.restoreFetch = null;
  }

  /** Waits for the bodies still being read, at most `timeoutMs`. */
  async settle(timeoutMs = SETTLE_MS): Promise<void> {
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  leaks(): Leak[] {
    return this.responses.flatMap((response) => leaksIn(response, this.needles));
  }

  /**
   * The assertion each e2e file ends with: responses were recorded (from the browser, when
   * `browser` is set, and from fetch), their bodies read, and none leaks.
   */
  async expectClean({ browser = false }: { browser?: boolean } = {}): Promise<void> {
    await this.settle();
    expect(this.needles.values.length).toBeGreaterThan(0);
    expect(this.responses.filter((response) => response.label.startsWith("fetch ")).length).toBeGreaterThan(0);
    if (browser) expect(this.responses.filter((response) => !response.label.startsWith("fetch ")).length).toBeGreaterThan(0);
    expect(this.responses.filter((response) => response.body !== null).length).toBeGreaterThan(0);
    expect(this.leaks()).toEqual([]);
  }
}
