import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, STRIPE_SECRET, KIT_SECRET, type Stack } from "../../lib/sandbox/stack";
import { signStripe } from "../../lib/sandbox/stripe-events";
import { createIngestServer } from "../../lib/webhooks/ingest-server";
import { createKitWebhookHandler } from "../../lib/webhooks/kit";
import { createLedgerWriter } from "../../lib/webhooks/ledger";
import { createStripeWebhookHandler } from "../../lib/webhooks/stripe";

// A 2 MiB delivery gets a 413 its sender can read, over real HTTP, from Node's two clients
// (fetch/undici and http.request), with a declared length and chunked: no EPIPE, no reset.
// Hosts: the ingest server, and the Web handlers the Next routes mount, served the way Next's
// Node server hands them a request (a Web Request over node's IncomingMessage stream).

const TWO_MIB = 2 * 1024 * 1024;

let stack: Stack;
let ingest: http.Server;
let webHost: http.Server;
const urls = { ingest: "", web: "" };

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Node's IncomingMessage as a Web Request, as Next's Node server builds it for a route handler. */
function webServer(handlers: Record<string, (request: Request) => Promise<Response>>): http.Server {
  return http.createServer(async (req, res) => {
    const handler = handlers[(req.url ?? "/").split("?")[0]!];
    if (!handler) return res.writeHead(404).end();
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const request = new Request(`http://localhost${req.url}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : (Readable.toWeb(req) as ReadableStream<Uint8Array>),
      duplex: "half",
    } as RequestInit);
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

beforeAll(async () => {
  stack = await startStack();
  const ledger = createLedgerWriter(stack.db);
  ingest = createIngestServer({ stripeWebhook: { ledger, secret: STRIPE_SECRET }, kitWebhook: { ledger, secret: KIT_SECRET } });
  webHost = webServer({
    "/api/webhooks/stripe": createStripeWebhookHandler({ ledger, secret: STRIPE_SECRET }),
    "/api/webhooks/kit": createKitWebhookHandler({ ledger, secret: KIT_SECRET }),
  });
  [urls.ingest, urls.web] = await Promise.all([listen(ingest), listen(webHost)]);
});

afterAll(async () => {
  await Promise.all([ingest, webHost].map((server) => new Promise((resolve) => server.close(resolve))));
  await stack.stop();
});

const ledgerCount = async () => (await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "WebhookEvent"`))[0]!.n;

/** A signed Stripe-looking body of `size` bytes. */
function bigBody(size: number) {
  const head = '{"id":"evt_big","object":"event","type":"checkout.session.completed","pad":"';
  const body = head + "x".repeat(size - head.length - 2) + '"}';
  return { body, signature: signStripe(body, STRIPE_SECRET) };
}

/** http.request writing the body in 64 KiB chunks, declared or chunked; resolves with what the client saw. */
function postWithHttpRequest(url: string, body: string, signature: string, declareLength: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "stripe-signature": signature };
    if (declareLength) headers["content-length"] = Buffer.byteLength(body);
    const req = http.request(`${url}/api/webhooks/stripe`, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    const data = Buffer.from(body);
    const CHUNK = 64 * 1024;
    const writeFrom = (offset: number): void => {
      while (offset < data.length) {
        const more = req.write(data.subarray(offset, offset + CHUNK));
        offset += CHUNK;
        if (!more) {
          req.once("drain", () => writeFrom(offset));
          return;
        }
      }
      req.end();
    };
    writeFrom(0);
  });
}

const clients: Array<[string, (url: string, body: string, signature: string) => Promise<{ status: number; text: string }>]> = [
  [
    "fetch with a declared length",
    async (url, body, signature) => {
      const response = await fetch(`${url}/api/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signature }, body });
      return { status: response.status, text: await response.text() };
    },
  ],
  [
    "fetch streaming the body chunked",
    async (url, body, signature) => {
      const data = Buffer.from(body);
      const stream = Readable.toWeb(Readable.from((function* () { for (let at = 0; at < data.length; at += 64 * 1024) yield data.subarray(at, at + 64 * 1024); })()));
      const response = await fetch(`${url}/api/webhooks/stripe`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": signature },
        body: stream as ReadableStream,
        duplex: "half",
      } as RequestInit);
      return { status: response.status, text: await response.text() };
    },
  ],
  ["http.request with a declared length", (url, body, signature) => postWithHttpRequest(url, body, signature, true)],
  ["http.request chunked", (url, body, signature) => postWithHttpRequest(url, body, signature, false)],
];

describe.each([
  ["the ingest server", () => urls.ingest],
  ["the Web handler the Next route mounts", () => urls.web],
])("a 2 MiB delivery to %s", (_host, base) => {
  it.each(clients)("is answered 413 with a readable message through %s, and writes nothing", async (_client, send) => {
    const before = await ledgerCount();
    const { body, signature } = bigBody(TWO_MIB);
    const seen = await send(base(), body, signature);
    expect(seen.status).toBe(413);
    expect(JSON.parse(seen.text)).toEqual({ error: "body over 1 MiB" });
    expect(await ledgerCount()).toBe(before);
  });

  it("still takes a signed delivery within the limit after refusing an oversized one", async () => {
    const { body, signature } = bigBody(TWO_MIB);
    expect((await postWithHttpRequest(base(), body, signature, true)).status).toBe(413);
    const small = JSON.stringify({ id: "evt_small", object: "event", type: "ping", created: Math.floor(Date.now() / 1000), data: { object: {} } });
    const response = await fetch(`${base()}/api/webhooks/stripe`, { method: "POST", headers: { "stripe-signature": signStripe(small, STRIPE_SECRET) }, body: small });
    expect(response.status).toBeLessThan(500);
    expect(response.status).not.toBe(413);
  });
});
