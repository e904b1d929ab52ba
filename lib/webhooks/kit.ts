import crypto from "node:crypto";
import { log } from "../log";
import { metrics } from "../metrics";
import type { LedgerEntry, LedgerWriter } from "./ledger";
import { observeDelivery } from "./observe";
import { answer, asWebHandler, refuse, refuseUnverified, serveWebRequest, type Answer, type Delivery, type WebhookFailureLimiter, type WebhookProcessor } from "./http";
import { handledKitTypes, kitDeliverySchema, normalizeKitEvent } from "../lifecycle/kit-events";

// POST /api/webhooks/kit. Kit signs a delivery with `X-Kit-Signature: t=<unix>,v1=<hex>`:
// HMAC-SHA256 over "{t}.{raw body}". During a secret rotation it carries two v1 entries.

export const KIT_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyKitSignature(header: string | null, raw: string, secret: string, nowSeconds: number): SignatureCheck {
  if (!header) return { ok: false, reason: "missing X-Kit-Signature header" };
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === "v1" && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === null || signatures.length === 0) return { ok: false, reason: "malformed X-Kit-Signature header" };
  if (Math.abs(nowSeconds - timestamp) > KIT_TOLERANCE_SECONDS) return { ok: false, reason: "timestamp outside the tolerance zone" };
  const expected = crypto.createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest();
  const matches = signatures.some((signature) => crypto.timingSafeEqual(Buffer.from(signature, "hex"), expected));
  return matches ? { ok: true } : { ok: false, reason: "no signature matches the payload" };
}

export function signKitPayload(raw: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const signature = crypto.createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest("hex");
  return `t=${timestamp},v1=${signature}`;
}

export interface KitWebhookDeps {
  ledger: LedgerWriter;
  secret: string;
  /** Counts failed signature checks per address (429 past the allowance); unset: no limit. */
  failureLimiter?: WebhookFailureLimiter;
  /** TRUSTED_PROXY_HOPS, how the sender's address is read (lib/client-address.ts); unset: the default. */
  trustedProxyHops?: number;
}

/** One delivery (up to 100 events), measured and logged under its correlation id. */
export const processKitDelivery = (incoming: Delivery, deps: KitWebhookDeps): Promise<Answer> => observeDelivery("kit", () => verifyAndRecord(incoming, deps));

async function verifyAndRecord(incoming: Delivery, deps: KitWebhookDeps): Promise<Answer> {
  const raw = incoming.body;
  const check = verifyKitSignature(incoming.header("x-kit-signature"), raw, deps.secret, Math.floor(Date.now() / 1000));
  if (!check.ok) return refuseUnverified(incoming, deps.failureLimiter, `invalid webhook: ${check.reason}`);

  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return refuse(400, "body is not JSON");
  }
  const delivery = kitDeliverySchema.safeParse(body);
  if (!delivery.success) {
    const issue = delivery.error.issues[0];
    return refuse(400, `malformed delivery: ${issue ? `${issue.path.join(".")} ${issue.message}` : "invalid"}`);
  }
  // The whole delivery is validated before anything is written: all or nothing.
  const entries: LedgerEntry[] = [];
  for (const event of delivery.data.events) {
    const handled = handledKitTypes.has(event.type);
    if (handled) {
      const normalized = normalizeKitEvent(event);
      if (!normalized.ok) return refuse(400, `malformed event ${event.id}: ${normalized.error}`);
    }
    entries.push({ provider: "kit", eventId: event.id, type: event.type, createdAt: new Date(event.created), json: JSON.stringify(event), handled });
  }
  try {
    const recorded = (await deps.ledger.record(entries)).filter(Boolean).length;
    metrics().webhookEvents.inc({ provider: "kit", result: "recorded" }, recorded);
    metrics().webhookEvents.inc({ provider: "kit", result: "duplicate" }, entries.length - recorded);
    return answer(200, { received: entries.length, duplicates: entries.length - recorded });
  } catch (error) {
    log.error({ err: (error as Error).message, events: entries.length }, "kit webhook: could not record delivery");
    return refuse(503, "could not record the delivery; retry");
  }
}

/** POST /api/webhooks/kit: a Web Request -> Response. */
export const handleKitWebhook = (request: Request, deps: KitWebhookDeps) => serveWebRequest(request, (delivery) => processKitDelivery(delivery, deps), deps.trustedProxyHops);

/** The processor bound to its dependencies, for a host that mounts several (the ingest server). */
export const createKitWebhookProcessor =
  (deps: KitWebhookDeps): WebhookProcessor =>
  (delivery) =>
    processKitDelivery(delivery, deps);

export const createKitWebhookHandler = (deps: KitWebhookDeps) => asWebHandler(createKitWebhookProcessor(deps));
