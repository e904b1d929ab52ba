import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Stripe from "stripe";
import type { TxtResolver } from "../../lib/doctor/dns";

// Offline stand-ins for the launch doctor's tests: Stripe's API, the deployed app behind HTTPS
// (a self-signed certificate made with openssl), and DNS.

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const portOf = (server: Server | HttpsServer) => (server.address() as AddressInfo).port;
const close = (server: Server | HttpsServer) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export interface FakeWebhookEndpoint {
  id: string;
  url: string;
  enabled_events: string[];
  status: "enabled" | "disabled";
}

/** GET /v1/balance and GET /v1/webhook_endpoints, in Stripe's JSON shapes, for one key. */
export class FakeStripe {
  endpoints: FakeWebhookEndpoint[] = [];
  livemode = true;
  readonly requests: string[] = [];
  private server: Server | null = null;

  constructor(readonly key: string) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://stripe.test");
      this.requests.push(`${req.method} ${url.pathname}`);
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json", "request-id": "req_fake" });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${this.key}`) {
        return reply(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_live_********" } });
      }
      if (req.method === "GET" && url.pathname === "/v1/balance") {
        return reply(200, { object: "balance", livemode: this.livemode, available: [{ amount: 0, currency: "usd" }], pending: [{ amount: 0, currency: "usd" }] });
      }
      if (req.method === "GET" && url.pathname === "/v1/webhook_endpoints") {
        const data = this.endpoints.map((endpoint) => ({ object: "webhook_endpoint", livemode: this.livemode, api_version: null, created: 1_700_000_000, metadata: {}, ...endpoint }));
        return reply(200, { object: "list", url: "/v1/webhook_endpoints", has_more: false, data });
      }
      return reply(404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${url.pathname})` } });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    return `http://127.0.0.1:${portOf(server)}`;
  }

  async stop(): Promise<void> {
    if (this.server) await close(this.server);
    this.server = null;
  }
}

export interface Certificate {
  key: string;
  cert: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid `days` days from now. */
export function selfSignedCertificate(days: number): Certificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-cert-"));
  try {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", String(days), "-subj", "/O=Doctor Test CA/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      { stdio: "ignore" },
    );
    return { key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The deployed app as far as the doctor sees it: HTTPS, and a Stripe webhook route that verifies signatures. */
export class FakeApp {
  readonly deliveries: { status: number; type: string | null }[] = [];
  private server: HttpsServer | null = null;

  constructor(
    private certificate: Certificate,
    /** The secret the deployment verifies with. */
    public webhookSecret: string,
  ) {}

  async start(): Promise<string> {
    const server = createHttpsServer({ key: this.certificate.key, cert: this.certificate.cert }, (req, res) => {
      void (async () => {
        const body = await readBody(req);
        let status = 404;
        let type: string | null = null;
        if (req.method === "POST" && req.url === "/api/webhooks/stripe") {
          try {
            type = Stripe.webhooks.constructEvent(body, String(req.headers["stripe-signature"] ?? ""), this.webhookSecret).type;
            status = 200;
          } catch {
            status = 400;
          }
          this.deliveries.push({ status, type });
        }
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ received: status === 200 }));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    return `https://127.0.0.1:${portOf(server)}`;
  }

  async stop(): Promise<void> {
    if (this.server) await close(this.server);
    this.server = null;
  }
}

/** TXT records by name; any other name answers ENOTFOUND, as a real resolver does. */
export function fakeResolver(records: Record<string, string[]>): TxtResolver & { records: Record<string, string[]> } {
  return {
    records,
    async resolveTxt(name: string) {
      const found = records[name];
      if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
      // Long records come back in 255-character chunks.
      return found.map((record) => record.match(/.{1,255}/g) ?? [""]);
    },
  };
}
