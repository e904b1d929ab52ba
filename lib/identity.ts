import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { normalizeEmail } from "./lifecycle/events";

// The chat identity token: the host site signs a short-lived HS256 JWT whose `sub` names the
// customer (email or id); the chat binds its tools to that subject. Reasons are for logs and
// tests; HTTP callers answer 401 for every failure. No message here carries the token or secret.

export const MAX_IDENTITY_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;
export const DEFAULT_IDENTITY_TOKEN_LIFETIME_SECONDS = 60 * 60;
const CLOCK_TOLERANCE_SECONDS = 30;
// RFC 5321 bounds an email address at 320 characters; ids are far shorter.
const MAX_SUBJECT_LENGTH = 320;
// A real token is a few hundred bytes; refuse to parse anything much larger.
const MAX_TOKEN_LENGTH = 4096;

export type IdentityFailureReason = "missing" | "malformed" | "expired" | "invalid_signature" | "too_long_lived" | "no_subject";
export type IdentityResult = { ok: true; subject: string } | { ok: false; reason: IdentityFailureReason };

function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  // An empty secret is a deployment mistake, not a bad token: fail loudly.
  if (secret === "") throw new TypeError("the chat identity secret is empty");
  return new TextEncoder().encode(secret);
}

/**
 * The verifying key per secret, imported once: given raw bytes, jose imports a CryptoKey on
 * every call (about 1% of a chat server's CPU). A rotated secret is simply another entry.
 */
const verifyKeys = new Map<string, Promise<CryptoKey>>();
function verifyKey(secret: string): Promise<CryptoKey> {
  let key = verifyKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", secretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    verifyKeys.set(secret, key);
  }
  return key;
}

const fail = (reason: IdentityFailureReason): IdentityResult => ({ ok: false, reason });

function reasonFor(error: unknown): IdentityFailureReason {
  if (error instanceof errors.JWTExpired) return "expired";
  // A disallowed alg (none, RS*, ES*) is a token this server did not sign.
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) return "invalid_signature";
  if (error instanceof errors.JOSEError) return "malformed";
  throw error;
}

export async function verifyIdentityToken(token: string, secret: string, now: Date = new Date()): Promise<IdentityResult> {
  const key = await verifyKey(secret);
  const compact = token.trim();
  if (compact === "") return fail("missing");
  if (compact.length > MAX_TOKEN_LENGTH) return fail("malformed");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(compact, key, {
      algorithms: ["HS256"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    }));
  } catch (error) {
    return fail(reasonFor(error));
  }

  // Lifetime counts from iat, or from now when iat is absent or in the future (a future iat
  // must not stretch a token past the cap).
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const issuedAt = Math.min(payload.iat ?? nowSeconds, nowSeconds);
  if (payload.exp === undefined || payload.exp - issuedAt > MAX_IDENTITY_TOKEN_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
    return fail("too_long_lived");
  }

  const subject = typeof payload.sub === "string" ? payload.sub.trim() : "";
  if (subject === "") return fail("no_subject");
  if (subject.length > MAX_SUBJECT_LENGTH || /\p{Cc}/u.test(subject)) return fail("malformed");
  // Same normalization as the customer record's email lookup; ids stay case-sensitive.
  return { ok: true, subject: subject.includes("@") ? normalizeEmail(subject) : subject };
}

export function bearerToken(request: Request): string | null {
  const match = request.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim() || null;
}

/** For the demo host page and tests; a real host site signs the same way in its own stack. */
export async function signIdentityToken(
  subject: string,
  secret: string,
  { expiresInSeconds = DEFAULT_IDENTITY_TOKEN_LIFETIME_SECONDS }: { expiresInSeconds?: number } = {},
): Promise<string> {
  if (subject.trim() === "") throw new TypeError("the identity subject is empty");
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0 || expiresInSeconds > MAX_IDENTITY_TOKEN_LIFETIME_SECONDS) {
    throw new RangeError(`expiresInSeconds must be an integer in 1..${MAX_IDENTITY_TOKEN_LIFETIME_SECONDS}`);
  }
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT()
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject.trim())
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresInSeconds)
    .sign(secretKey(secret));
}
