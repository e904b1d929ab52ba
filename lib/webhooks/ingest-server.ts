import http from "node:http";
import { MAX_DISCARD_BYTES, MAX_WEBHOOK_BYTES, type Answer, type WebhookProcessor } from "./http";
import { processKitDelivery, type KitWebhookDeps } from "./kit";
import { processStripeDelivery, type StripeWebhookDeps } from "./stripe";
import { clientAddress } from "../client-address";

// A minimal Node HTTP host for the webhook processors the Next routes mount too. It hands
// node's request to the processor as it is, without building Web Request/Response objects.

function reply(res: http.ServerResponse, { status, body, headers: extra }: Answer, close = false) {
  const text = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { ...extra, "content-type": "application/json", "content-length": Buffer.byteLength(text) };
  if (close) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(text);
}

const refused = (status: number, message: string): Answer => ({ status, body: { error: message } });

export function createIngestServer(deps: { stripeWebhook: StripeWebhookDeps; kitWebhook: KitWebhookDeps }): http.Server {
  const routes: Record<string, WebhookProcessor> = {
    "/api/webhooks/stripe": (delivery) => processStripeDelivery(delivery, deps.stripeWebhook),
    "/api/webhooks/kit": (delivery) => processKitDelivery(delivery, deps.kitWebhook),
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/api/health") return reply(res, { status: 200, body: { status: "ok" } });
    const process = routes[path];
    if (!process) return reply(res, refused(404, "not found"));
    if (req.method !== "POST") return reply(res, refused(405, "use POST"));
    const declared = Number(req.headers["content-length"] ?? "NaN");
    // An oversized body is read to its end and dropped before the 413 (up to a cap): a sender
    // still writing when the connection closes would see EPIPE or a reset, not the answer.
    const tooLargeAnswer = refused(413, "body over 1 MiB");
    if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES + MAX_DISCARD_BYTES) {
      reply(res, tooLargeAnswer, true);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (!tooLarge && size <= MAX_WEBHOOK_BYTES) {
        chunks.push(chunk);
        return;
      }
      tooLarge = true;
      chunks.length = 0;
      if (size > MAX_WEBHOOK_BYTES + MAX_DISCARD_BYTES && !res.headersSent) {
        reply(res, tooLargeAnswer, true);
        req.destroy();
      }
    });
    req.on("end", () => {
      if (tooLarge) return reply(res, tooLargeAnswer, true);
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(", ") : (value ?? null);
      };
      // The sender's address is read only here, and used only when the signature fails.
      const address = clientAddress({ get: header }, deps.stripeWebhook.trustedProxyHops, req.socket.remoteAddress ?? null);
      process({ header, body: Buffer.concat(chunks).toString("utf8"), address })
        .then((result) => reply(res, result))
        .catch(() => reply(res, refused(500, "internal error")));
    });
    req.on("error", () => {
      if (!res.headersSent) reply(res, refused(400, "could not read the body"));
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
