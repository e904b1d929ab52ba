import http from "node:http";
import type { Runtime } from "../runtime";
import { MAX_WEBHOOK_BYTES } from "./http";

// A minimal Node HTTP host for the webhook handlers: converts node's request to a Web
// Request, calls the same handler the Next route calls, writes the Response back.

type Handler = (request: Request) => Promise<Response>;

function toWebRequest(req: http.IncomingMessage, body: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((item) => headers.append(name, item));
    else if (value !== undefined) headers.set(name, value);
  }
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
  });
}

async function send(res: http.ServerResponse, response: Response) {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": body.length });
  res.end(body);
}

function reject(res: http.ServerResponse, status: number, message: string) {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function createIngestServer(runtime: Pick<Runtime, "handleStripeWebhook" | "handleKitWebhook">): http.Server {
  const routes: Record<string, Handler> = {
    "/api/webhooks/stripe": runtime.handleStripeWebhook,
    "/api/webhooks/kit": runtime.handleKitWebhook,
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/api/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    const handler = routes[path];
    if (!handler) return reject(res, 404, "not found");
    if (req.method !== "POST") return reject(res, 405, "use POST");
    const declared = Number(req.headers["content-length"] ?? "NaN");
    if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) {
      // Answer before reading, and close: the sender may still be pushing the body.
      res.setHeader("connection", "close");
      reject(res, 413, "body over 1 MiB");
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BYTES) {
        if (!tooLarge) {
          tooLarge = true;
          res.setHeader("connection", "close");
          reject(res, 413, "body over 1 MiB");
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) return;
      handler(toWebRequest(req, Buffer.concat(chunks)))
        .then((response) => send(res, response))
        .catch(() => reject(res, 500, "internal error"));
    });
    req.on("error", () => reject(res, 400, "could not read the body"));
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
