import { clientAddress } from "../client-address";

// The shape every webhook handler has: a delivery (headers and a raw body already read within
// the size limit) in, a status and a JSON body out. `asWebHandler` makes one a Web
// Request -> Response function (Next routes); the ingest server feeds node's request in
// directly, skipping the Request/Response objects it would only take apart again.

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export interface Delivery {
  header(name: string): string | null;
  body: string;
  /** The sender's address (lib/client-address.ts); null when unknown. */
  address?: string | null;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type WebhookProcessor = (delivery: Delivery) => Promise<Answer>;

export const answer = (status: number, body: Record<string, unknown>): Answer => ({ status, body });
export const refuse = (status: number, message: string): Answer => ({ status, body: { error: message } });

export function json(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json" } });
}

/**
 * Counts failed signature checks per source address, so one noisy or hostile sender cannot
 * flood the webhook routes. Only failures are counted: a correctly signed delivery never
 * touches it (no I/O on the hot path) and is never refused by it.
 */
export interface WebhookFailureLimiter {
  /** Records one failed check from `address`; not ok once the address is over its allowance. */
  failed(address: string): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;
}

/**
 * The answer to a delivery whose signature did not verify: 400 with the reason, or 429 with
 * Retry-After when its address has failed too often. A limiter that cannot be reached does
 * not turn a 400 into a 5xx (the sender would only retry harder).
 */
export async function refuseUnverified(delivery: Delivery, limiter: WebhookFailureLimiter | undefined, message: string): Promise<Answer> {
  if (limiter && delivery.address) {
    const decision = await limiter.failed(delivery.address).catch(() => ({ ok: true }) as const);
    if (!decision.ok) {
      return { status: 429, body: { error: "too many deliveries with invalid signatures from this address" }, headers: { "retry-after": String(decision.retryAfterSeconds) } };
    }
  }
  return refuse(400, message);
}

export const rejection = (status: number, message: string) => json(status, { error: message });

/** A Web Request through a processor: the body read within the limit, the answer as JSON. */
export async function serveWebRequest(request: Request, process: WebhookProcessor, trustedProxyHops?: number): Promise<Response> {
  if (request.method !== "POST") return rejection(405, "use POST");
  let body: string;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return rejection(413, "body over 1 MiB");
    return rejection(400, "could not read the body");
  }
  const result = await process({ header: (name) => request.headers.get(name), body, address: clientAddress(request.headers, trustedProxyHops) });
  return json(result.status, result.body, result.headers);
}

export const asWebHandler =
  (process: WebhookProcessor): ((request: Request) => Promise<Response>) =>
  (request) =>
    serveWebRequest(request, process);

/**
 * How much of an oversized body is read and thrown away before the 413 is sent: a sender that
 * is still writing when the connection closes sees EPIPE or a reset instead of the answer.
 * Past this, the connection is closed without waiting.
 */
export const MAX_DISCARD_BYTES = 16 * 1024 * 1024;

/** Reads at most `limit` bytes; a declared or actual larger body is refused before parsing, after draining it (up to MAX_DISCARD_BYTES). */
export async function readBody(request: Request, limit = MAX_WEBHOOK_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) {
    if (declared <= limit + MAX_DISCARD_BYTES) await discard(request, limit + MAX_DISCARD_BYTES);
    throw new BodyTooLargeError();
  }
  if (Number.isFinite(declared)) {
    // A declared length within the limit: read in one go (the runtime enforces the length).
    const text = await request.text();
    if (Buffer.byteLength(text) > limit) throw new BodyTooLargeError();
    return text;
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await drain(reader, size, limit + MAX_DISCARD_BYTES);
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function discard(request: Request, cap: number): Promise<void> {
  if (request.body) await drain(request.body.getReader(), 0, cap);
}

/** Reads and drops the rest of a body, up to `cap` bytes in all; a read error only ends it (the answer is a 413 anyway). */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, seen: number, cap: number): Promise<void> {
  let size = seen;
  try {
    while (size <= cap) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The sender went away: nothing left to drain.
  }
}
