// Shared edges of the webhook handlers: bounded body reads and plain JSON answers.

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export const rejection = (status: number, message: string) => json(status, { error: message });

/** Reads at most `limit` bytes; a declared or actual larger body is refused before parsing. */
export async function readBody(request: Request, limit = MAX_WEBHOOK_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError();
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
      await reader.cancel();
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
