import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { KIT_SECRET, startStack, STRIPE_SECRET, type Stack } from "../../lib/sandbox/stack";
import { signStripe } from "../../lib/sandbox/stripe-events";
import { createIngestServer } from "../../lib/webhooks/ingest-server";
import { signKitPayload } from "../../lib/webhooks/kit";
import { createLedgerWriter } from "../../lib/webhooks/ledger";
import { bodies, extraHeaders, FUZZ_RUNS, FUZZ_TIMEOUT_MS, fuzzEndpoint, headerValue, printTally } from "./support";

// The ingest server over real HTTP (node's http.request, one connection per request, kept
// alive or not): FUZZ_RUNS generated requests of any method, path, header and body. Zero 5xx;
// every rejection a 4xx with a plain message and no write.

let stack: Stack;
let server: http.Server;
let base = "";
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  stack = await startStack();
  const ledger = createLedgerWriter(stack.db);
  server = createIngestServer({ stripeWebhook: { ledger, secret: STRIPE_SECRET }, kitWebhook: { ledger, secret: KIT_SECRET } });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  await stack.stop();
});

/** Sends a Request's parts with http.request (so method, path and headers go out as generated) and reads the answer as a Response. */
async function overHttp(request: Request): Promise<Response> {
  const body = request.method === "GET" || request.method === "HEAD" ? null : Buffer.from(await request.arrayBuffer());
  const url = new URL(request.url);
  const headers: http.OutgoingHttpHeaders = Object.fromEntries(request.headers);
  delete headers["transfer-encoding"];
  if (body) headers["content-length"] = body.length;
  return new Promise((resolve, reject) => {
    const outgoing = http.request(`${base}${url.pathname}${url.search}`, { method: request.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") responseHeaders.set(name, value);
        const status = res.statusCode ?? 0;
        resolve(new Response(status === 204 || status === 304 || request.method === "HEAD" ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
      });
      res.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body ?? undefined);
  });
}

type Signature = "valid" | "garbage" | "none";

it(`answers ${FUZZ_RUNS} generated requests over HTTP without a 5xx or a write on rejection`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
  const tally = await fuzzEndpoint({
    name: "ingest server",
    db: stack.db,
    arbitrary: fc.record({
      method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
      path: fc.constantFrom("/api/webhooks/stripe", "/api/webhooks/kit", "/api/webhooks/stripe?x=1", "/api/webhooks/stripe/", "/api/webhooks", "/", "/api/health", "/%2e%2e/etc", "/api/webhooks/kit#frag"),
      signature: fc.oneof({ weight: 3, arbitrary: fc.constant<Signature>("valid") }, { weight: 17, arbitrary: fc.constantFrom<Signature>("garbage", "none") }),
      garbage: headerValue,
      body: bodies(),
      headers: extraHeaders,
    }),
    build: (input) => {
      const headers: Record<string, string> = { ...input.headers };
      const kit = input.path.includes("kit");
      const name = kit ? "x-kit-signature" : "stripe-signature";
      if (input.signature === "valid") headers[name] = kit ? signKitPayload(input.body, KIT_SECRET) : signStripe(input.body, STRIPE_SECRET);
      else if (input.signature === "garbage") headers[name] = input.garbage;
      const withBody = input.method !== "GET" && input.method !== "HEAD";
      try {
        return new Request(`http://ingest${input.path}`, { method: input.method, headers, body: withBody ? input.body : undefined });
      } catch {
        return null;
      }
    },
    send: overHttp,
    mayWrite: (input) => input.signature === "valid" && input.method === "POST",
  });
  expect(printTally("ingest server (HTTP)", tally)).toBeGreaterThanOrEqual(Math.floor(FUZZ_RUNS * 0.95));
});
