import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { captureLogs, log, scrubText, withCorrelation } from "../../lib/log";

// The logger's backstop: whatever a call site hands it, no email, credential, signature or token
// is written, and the ids and counts around them are.

let capture: ReturnType<typeof captureLogs> | null = null;
afterEach(() => capture?.stop());

function logged(write: () => void): Record<string, unknown> {
  capture = captureLogs();
  write();
  capture.stop();
  expect(capture.lines).toHaveLength(1);
  return JSON.parse(capture.lines[0]!) as Record<string, unknown>;
}

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW1AZXhhbXBsZS5jb20ifQ.c2lnbmF0dXJlLWJ5dGVz";

describe("log redaction", () => {
  it.each([
    ["an email in the message", () => log.info("granted access to sam.shopper@example.com"), "sam.shopper@example.com"],
    ["an email at a redacted key", () => log.info({ email: "ana@example.co.uk", jobId: "j1" }, "x"), "ana@example.co.uk"],
    ["an email one level down", () => log.info({ member: { email: "bo@example.org" }, jobId: "j1" }, "x"), "bo@example.org"],
    ["an email deep in a value", () => log.warn({ jobId: "j1", err: { response: { detail: "member zed+1@mail.example.com exists" } } }, "x"), "zed+1@mail.example.com"],
    ["an email in an Error", () => log.error({ jobId: "j1", err: new Error("422: kim@example.net is not valid") }, "x"), "kim@example.net"],
    ["a Stripe signature header", () => log.warn({ jobId: "j1", "stripe-signature": "t=1700000000,v1=abcdef0123" }, "x"), "v1=abcdef0123"],
    ["a Kit signature in a headers object", () => log.warn({ jobId: "j1", request: { headers: { "x-kit-signature": "t=1,v1=ff00" } } }, "x"), "v1=ff00"],
    ["a signature key one level down", () => log.warn({ jobId: "j1", request: { "x-kit-signature": "t=1,v1=ff00aa" } }, "x"), "v1=ff00aa"],
    ["a bearer credential in text", () => log.warn({ jobId: "j1", err: "401 for Authorization: Bearer s3cr3t-admin-token-value" }, "x"), "s3cr3t-admin-token-value"],
    ["a Circle token in text", () => log.warn({ jobId: "j1", err: "sent Token circle-api-token-1234" }, "x"), "circle-api-token-1234"],
    ["an identity token", () => log.info({ jobId: "j1", note: `token ${JWT}` }, "x"), JWT],
    ["a webhook secret", () => log.info({ jobId: "j1", config: { hint: "whsec_abc123def456" } }, "x"), "whsec_abc123def456"],
    ["a Stripe key in a message", () => log.error(`stripe said: invalid key sk_live_51Habcdef`), "sk_live_51Habcdef"],
    ["a secret at a redacted key", () => log.info({ jobId: "j1", secret: "plain-secret-value" }, "x"), "plain-secret-value"],
    ["an API key at a redacted key", () => log.info({ jobId: "j1", kit: { apiKey: "kit-api-key-value" } }, "x"), "kit-api-key-value"],
    ["a password", () => log.info({ jobId: "j1", body: { password: "hunter2-hunter2" } }, "x"), "hunter2-hunter2"],
    ["a cookie", () => log.info({ jobId: "j1", cookie: "entitled_session=abcdef" }, "x"), "entitled_session=abcdef"],
  ])("writes no %s, and keeps the ids", (_case, write, leaked) => {
    const record = logged(write);
    const line = JSON.stringify(record);
    expect(line).not.toContain(leaked);
    expect(line).not.toMatch(/@example\./);
    if ("jobId" in record) expect(record.jobId).toBe("j1");
  });

  it("keeps what is not sensitive as it was", () => {
    const record = logged(() => log.info({ jobId: "j-42", kind: "circle.grant", attempt: 3, delayMs: 120, err: "circle POST /community_members: 503" }, "job failed; retrying"));
    expect(record).toMatchObject({ jobId: "j-42", kind: "circle.grant", attempt: 3, delayMs: 120, err: "circle POST /community_members: 503", msg: "job failed; retrying" });
  });

  it("scrubs every email-looking string, wherever it sits in the text", () => {
    const local = fc.stringMatching(/^[A-Za-z0-9._%+-]{1,20}$/);
    const domain = fc.stringMatching(/^[A-Za-z0-9-]{1,15}(\.[A-Za-z0-9-]{1,10}){0,2}\.[A-Za-z]{2,6}$/);
    fc.assert(
      fc.property(fc.string(), local, domain, fc.string(), (before, name, host, after) => {
        const email = `${name}@${host}`;
        const scrubbed = scrubText(`${before} ${email} ${after}`);
        expect(scrubbed).not.toContain(email);
        expect(scrubbed).toContain("[email]");
      }),
    );
  });

  it("marks every line written inside a correlation with its id, and none outside", async () => {
    capture = captureLogs();
    await withCorrelation("delivery-1", async () => {
      log.info("inside");
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.info("after an await");
    });
    log.info("outside");
    capture.stop();
    const records = capture.lines.map((line) => JSON.parse(line) as { msg: string; correlationId?: string });
    expect(records.map((record) => [record.msg, record.correlationId])).toEqual([
      ["inside", "delivery-1"],
      ["after an await", "delivery-1"],
      ["outside", undefined],
    ]);
  });
});
