import { describe, expect, it } from "vitest";
import { generateKeyPair, SignJWT } from "jose";
import { bearerToken, signIdentityToken, verifyIdentityToken } from "../../lib/identity";

const SECRET = "test-chat-identity-secret-0123456789abcdef";
const key = new TextEncoder().encode(SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("verifyIdentityToken", () => {
  it("accepts a token the host signed and returns its subject", async () => {
    const token = await signIdentityToken("cus_Abc123", SECRET);
    expect(await verifyIdentityToken(token, SECRET)).toEqual({ ok: true, subject: "cus_Abc123" });
  });

  it("normalizes an email subject to lower case, trimmed", async () => {
    const token = await new SignJWT().setProtectedHeader({ alg: "HS256" }).setSubject("  Ada.Lovelace@Example.COM ").setIssuedAt().setExpirationTime("1h").sign(key);
    expect(await verifyIdentityToken(token, SECRET)).toEqual({ ok: true, subject: "ada.lovelace@example.com" });
  });

  it("reports a missing token", async () => {
    expect(await verifyIdentityToken("", SECRET)).toEqual({ ok: false, reason: "missing" });
    expect(await verifyIdentityToken("   ", SECRET)).toEqual({ ok: false, reason: "missing" });
  });

  it("reports garbage as malformed", async () => {
    expect(await verifyIdentityToken("not-a-jwt", SECRET)).toEqual({ ok: false, reason: "malformed" });
    expect(await verifyIdentityToken("abc.def.ghi", SECRET)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects an expired token, allowing 30 s of clock skew", async () => {
    const token = await signIdentityToken("cus_1", SECRET, { expiresInSeconds: 60 });
    const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
    expect(await verifyIdentityToken(token, SECRET, at(75))).toMatchObject({ ok: true });
    expect(await verifyIdentityToken(token, SECRET, at(120))).toEqual({ ok: false, reason: "expired" });
  });

  it("rejects a token signed with another secret", async () => {
    const token = await signIdentityToken("cus_1", "another-secret-entirely-0123456789");
    expect(await verifyIdentityToken(token, SECRET)).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it("rejects an unsigned alg: none token", async () => {
    const token = `${base64url({ alg: "none", typ: "JWT" })}.${base64url({ sub: "victim@example.com", iat: nowSeconds(), exp: nowSeconds() + 600 })}.`;
    expect(await verifyIdentityToken(token, SECRET)).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it("rejects an RS256-signed token", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT().setProtectedHeader({ alg: "RS256" }).setSubject("cus_1").setIssuedAt().setExpirationTime("1h").sign(privateKey);
    expect(await verifyIdentityToken(token, SECRET)).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it("rejects a token living more than 24 h, measured from iat or from now", async () => {
    const iat = nowSeconds();
    const longLived = await new SignJWT().setProtectedHeader({ alg: "HS256" }).setSubject("cus_1").setIssuedAt(iat).setExpirationTime(iat + 25 * 3600).sign(key);
    expect(await verifyIdentityToken(longLived, SECRET)).toEqual({ ok: false, reason: "too_long_lived" });

    const noIat = await new SignJWT().setProtectedHeader({ alg: "HS256" }).setSubject("cus_1").setExpirationTime(iat + 25 * 3600).sign(key);
    expect(await verifyIdentityToken(noIat, SECRET)).toEqual({ ok: false, reason: "too_long_lived" });

    // A future iat must not stretch the lifetime.
    const futureIat = await new SignJWT().setProtectedHeader({ alg: "HS256" }).setSubject("cus_1").setIssuedAt(iat + 30 * 24 * 3600).setExpirationTime(iat + 30 * 24 * 3600 + 3600).sign(key);
    expect(await verifyIdentityToken(futureIat, SECRET)).toEqual({ ok: false, reason: "too_long_lived" });

    const dayLong = await new SignJWT().setProtectedHeader({ alg: "HS256" }).setSubject("cus_1").setIssuedAt(iat).setExpirationTime(iat + 24 * 3600).sign(key);
    expect(await verifyIdentityToken(dayLong, SECRET)).toMatchObject({ ok: true });
  });

  it("rejects a token with no exp", async () => {
    const token = await new SignJWT().setProtectedHeader({ alg: "HS256" }).setSubject("cus_1").setIssuedAt().sign(key);
    expect(await verifyIdentityToken(token, SECRET)).toEqual({ ok: false, reason: "too_long_lived" });
  });

  it("rejects a token with no usable subject", async () => {
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h").sign(key);
    expect(await verifyIdentityToken(await sign({}), SECRET)).toEqual({ ok: false, reason: "no_subject" });
    expect(await verifyIdentityToken(await sign({ sub: "   " }), SECRET)).toEqual({ ok: false, reason: "no_subject" });
    expect(await verifyIdentityToken(await sign({ sub: 42 }), SECRET)).toEqual({ ok: false, reason: "no_subject" });
    expect(await verifyIdentityToken(await sign({ sub: `${"a".repeat(310)}@example.com` }), SECRET)).toEqual({ ok: false, reason: "malformed" });
  });

  it("refuses an empty secret and signing beyond 24 h, without echoing the secret", async () => {
    await expect(verifyIdentityToken("x", "")).rejects.toThrow(/secret is empty/);
    const error = await signIdentityToken("cus_1", SECRET, { expiresInSeconds: 2 * 24 * 3600 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RangeError);
    expect(String(error)).not.toContain(SECRET);
  });
});

describe("bearerToken", () => {
  const request = (authorization?: string) => new Request("http://test/api/chat", { headers: authorization ? { authorization } : {} });

  it("reads Authorization: Bearer", () => {
    expect(bearerToken(request("Bearer abc.def.ghi"))).toBe("abc.def.ghi");
    expect(bearerToken(request("bearer   abc.def.ghi  "))).toBe("abc.def.ghi");
  });

  it("returns null without a bearer credential", () => {
    expect(bearerToken(request())).toBeNull();
    expect(bearerToken(request("Basic dXNlcjpwYXNz"))).toBeNull();
    expect(bearerToken(request("Bearer "))).toBeNull();
  });
});
