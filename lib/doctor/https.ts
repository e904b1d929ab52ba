import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import tls from "node:tls";
import Stripe from "stripe";
import { STRIPE_WEBHOOK_PATH, stripeWebhookUrl } from "./stripe";
import { errorMessage, fail, pass, skip, type CheckResult } from "./types";

// PUBLIC_URL over HTTPS: the certificate is trusted, names the host and lasts more than 14 more
// days; and the Stripe webhook route answers a correctly signed test delivery with 2xx (which
// proves STRIPE_WEBHOOK_SECRET matches what the route verifies with).

export const MIN_CERTIFICATE_DAYS = 14;
const DAY_MS = 86_400_000;

export interface TlsOptions {
  /** Extra trusted certificate authorities (PEM): tests trust their self-signed certificate. */
  ca?: string | Buffer;
  timeoutMs?: number;
}

export interface PeerCertificate {
  validTo: Date;
  /** The chain verified against the trusted CAs. */
  authorized: boolean;
  /** Why not (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT…). */
  authorizationError: string | null;
  /** Why the certificate does not name the host, if it does not. */
  hostnameError: string | null;
  issuer: string;
}

/** Connects to host:port and reads the peer certificate, whatever its validity. */
export function readPeerCertificate(host: string, port: number, options: TlsOptions = {}): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      ca: options.ca ? [...tls.rootCertificates, options.ca.toString()] : undefined,
      rejectUnauthorized: false,
      timeout: options.timeoutMs ?? 10_000,
    });
    socket.once("timeout", () => socket.destroy(new Error(`no TLS handshake with ${host}:${port} within ${options.timeoutMs ?? 10_000} ms`)));
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate();
      const hostnameError = certificate.valid_to ? tls.checkServerIdentity(host, certificate) : undefined;
      const authorizationError = socket.authorizationError;
      resolve({
        validTo: new Date(certificate.valid_to),
        authorized: socket.authorized,
        authorizationError: authorizationError ? String((authorizationError as unknown as { code?: string }).code ?? authorizationError) : null,
        hostnameError: hostnameError ? hostnameError.message : null,
        issuer: [certificate.issuer?.O ?? certificate.issuer?.CN ?? "unknown issuer"].flat().join(", "),
      });
      socket.end();
    });
  });
}

const RENEW = "renew the certificate (on Vercel and most hosts it renews by itself once the domain's DNS points at them; with your own proxy, e.g. `certbot renew`)";

/** Pure: a certificate read at `now` -> the check's verdict. */
export function evaluateCertificate(certificate: PeerCertificate, host: string, now: Date): CheckResult {
  const id = "https.certificate";
  const title = `Certificate valid for more than ${MIN_CERTIFICATE_DAYS} days`;
  const days = Math.floor((certificate.validTo.getTime() - now.getTime()) / DAY_MS);
  const until = Number.isNaN(days) ? "an unreadable date" : certificate.validTo.toISOString().slice(0, 10);
  if (certificate.validTo.getTime() <= now.getTime() || certificate.authorizationError === "CERT_HAS_EXPIRED") {
    return fail(id, title, `the certificate for ${host} expired on ${until}`, RENEW);
  }
  if (!certificate.authorized) {
    return fail(
      id,
      title,
      `the certificate for ${host} is not trusted: ${certificate.authorizationError ?? "unknown reason"}`,
      "serve a certificate from a public certificate authority (e.g. Let's Encrypt) with its full chain; a self-signed certificate is refused by Stripe and browsers",
    );
  }
  if (certificate.hostnameError) {
    return fail(id, title, certificate.hostnameError, `serve a certificate that names ${host} (or fix PUBLIC_URL to the name the certificate is for)`);
  }
  if (days <= MIN_CERTIFICATE_DAYS) {
    return fail(id, title, `the certificate for ${host} expires on ${until}, in ${days} day${days === 1 ? "" : "s"}`, RENEW);
  }
  return pass(id, title, `trusted, issued by ${certificate.issuer}, valid until ${until} (${days} days)`);
}

export async function checkCertificate(publicUrl: string | undefined, options: TlsOptions & { now?: Date } = {}): Promise<CheckResult[]> {
  const reachId = "https.reachable";
  const reachTitle = "PUBLIC_URL reachable over HTTPS";
  const certTitle = `Certificate valid for more than ${MIN_CERTIFICATE_DAYS} days`;
  if (!publicUrl || !URL.canParse(publicUrl)) {
    return [skip(reachId, reachTitle, "PUBLIC_URL is not set (see the environment)"), skip("https.certificate", certTitle, "needs PUBLIC_URL")];
  }
  const url = new URL(publicUrl);
  if (url.protocol !== "https:") {
    return [
      fail(reachId, reachTitle, `PUBLIC_URL is ${url.protocol}//, not https://`, "serve the app over HTTPS and set PUBLIC_URL to its https:// address (Stripe only delivers webhooks to HTTPS in live mode)"),
      skip("https.certificate", certTitle, "needs an https:// PUBLIC_URL"),
    ];
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 443);
  let certificate: PeerCertificate;
  try {
    certificate = await readPeerCertificate(host, port, options);
  } catch (error) {
    return [
      fail(reachId, reachTitle, `no TLS connection to ${host}:${port}: ${errorMessage(error)}`, `check that ${url.host} resolves to your deployment (DNS) and that it serves HTTPS on port ${port}`),
      skip("https.certificate", certTitle, "needs a TLS connection"),
    ];
  }
  return [pass(reachId, reachTitle, `TLS handshake with ${url.host}`), evaluateCertificate(certificate, host, options.now ?? new Date())];
}

/** The type Stripe never sends: the route records it and ignores it. */
export const DOCTOR_TEST_EVENT_TYPE = "doctor.test";

/** A Stripe-shaped event of a type the product ignores, and its Stripe-Signature header. */
export function signedTestDelivery(secret: string, now = new Date()): { payload: string; signature: string } {
  const created = Math.floor(now.getTime() / 1000);
  const payload = JSON.stringify({
    id: `evt_doctor${created}${Math.random().toString(36).slice(2, 10)}`,
    object: "event",
    type: DOCTOR_TEST_EVENT_TYPE,
    created,
    livemode: false,
    data: { object: { object: "doctor_test", note: "sent by npm run doctor; safe to ignore" } },
  });
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: created }) };
}

function post(url: URL, body: string, headers: Record<string, string>, options: TlsOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
        timeout: options.timeoutMs ?? 10_000,
        ...(url.protocol === "https:" && options.ca ? { ca: [...tls.rootCertificates, options.ca.toString()] } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").slice(0, 500) }));
        response.on("error", reject);
      },
    );
    request.once("timeout", () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    request.once("error", reject);
    request.end(body);
  });
}

export async function checkWebhookDelivery(publicUrl: string | undefined, webhookSecret: string | undefined, options: TlsOptions & { now?: Date } = {}): Promise<CheckResult> {
  const id = "stripe.delivery";
  const title = `The webhook route answers a correctly signed test delivery with 2xx`;
  if (!publicUrl || !URL.canParse(publicUrl)) return skip(id, title, "PUBLIC_URL is not set (see the environment)");
  // The newest secret first when one is being rolled (`whsec_new,whsec_old`).
  const secret = webhookSecret?.split(",").map((part) => part.trim()).find(Boolean);
  if (!secret) return skip(id, title, "STRIPE_WEBHOOK_SECRET is not set (see the environment)");
  const url = new URL(stripeWebhookUrl(publicUrl));
  const { payload, signature } = signedTestDelivery(secret, options.now);
  let answer: { status: number; body: string };
  try {
    answer = await post(url, payload, { "stripe-signature": signature, "user-agent": "entitled-launch-doctor" }, options);
  } catch (error) {
    return fail(id, title, `POST ${url} failed: ${errorMessage(error)}`, `deploy the app at PUBLIC_URL and check that ${url.host} is reachable from the internet`);
  }
  if (answer.status >= 200 && answer.status < 300) return pass(id, title, `POST ${url} answered ${answer.status}`);
  if (answer.status === 400 || answer.status === 401) {
    return fail(
      id,
      title,
      `POST ${url} answered ${answer.status}: the signature was refused`,
      "STRIPE_WEBHOOK_SECRET in the deployment is not the one set here: copy the endpoint's signing secret (Stripe → Developers → Webhooks → the endpoint → Reveal) into STRIPE_WEBHOOK_SECRET of the deployment and of this shell, then redeploy",
    );
  }
  if (answer.status === 404) {
    return fail(id, title, `POST ${url} answered 404`, `deploy this app at PUBLIC_URL: ${STRIPE_WEBHOOK_PATH} is its Stripe webhook route`);
  }
  return fail(id, title, `POST ${url} answered ${answer.status}`, "read the deployment's logs for that request (a 5xx is usually the database or Redis unreachable: check /api/health?ready=1)");
}
