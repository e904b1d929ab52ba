import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { handledKitTypes, kitDeliverySchema, kitEventSchema, normalizeKitEvent } from "../../lib/lifecycle/kit-events";
import { KIT_TOLERANCE_SECONDS, signKitPayload, verifyKitSignature } from "../../lib/webhooks/kit";

const SECRET = "kit_whsec_current";
const OLD_SECRET = "kit_whsec_previous";
const NOW = 1_767_225_600;

const kitEvent = (o: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
  id: "3f1c7a52-8d6e-4d7a-9b0e-2f4c5a6b7c8d",
  type: "subscriber.unsubscribed",
  created: "2026-01-01T00:00:00Z",
  data: { subscriber: { id: 7, email_address: "ada@example.com", state: "inactive" }, ...data },
  ...o,
});

const body = JSON.stringify({ delivery_id: 42, events: [kitEvent()] });
const hmac = (secret: string, timestamp: number, raw = body) => crypto.createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest("hex");

describe("verifyKitSignature", () => {
  const good = hmac(SECRET, NOW);
  const stale = hmac(OLD_SECRET, NOW);

  it.each<[string, string | null, string, number, { ok: true } | { ok: false; reason: string }]>([
    ["valid signature", `t=${NOW},v1=${good}`, body, NOW, { ok: true }],
    ["what signKitPayload produces", signKitPayload(body, SECRET, NOW), body, NOW, { ok: true }],
    ["upper-case hex", `t=${NOW},v1=${good.toUpperCase()}`, body, NOW, { ok: true }],
    ["spaces around entries", ` t=${NOW} , v1=${good} `, body, NOW, { ok: true }],
    ["rotation: current secret in the first v1", `t=${NOW},v1=${good},v1=${stale}`, body, NOW, { ok: true }],
    ["rotation: current secret in the second v1", `t=${NOW},v1=${stale},v1=${good}`, body, NOW, { ok: true }],
    ["unknown extra entries are ignored", `t=${NOW},v0=abc,v1=${good}`, body, NOW, { ok: true }],
    ["timestamp 300 s in the past", `t=${NOW - 300},v1=${hmac(SECRET, NOW - 300)}`, body, NOW, { ok: true }],
    ["timestamp 300 s in the future", `t=${NOW + 300},v1=${hmac(SECRET, NOW + 300)}`, body, NOW, { ok: true }],
    ["tampered body", `t=${NOW},v1=${good}`, body.replace("ada@", "eve@"), NOW, { ok: false, reason: "no signature matches the payload" }],
    ["body with trailing newline", `t=${NOW},v1=${good}`, `${body}\n`, NOW, { ok: false, reason: "no signature matches the payload" }],
    ["wrong secret only", `t=${NOW},v1=${stale}`, body, NOW, { ok: false, reason: "no signature matches the payload" }],
    ["timestamp swapped after signing", `t=${NOW + 1},v1=${good}`, body, NOW, { ok: false, reason: "no signature matches the payload" }],
    ["timestamp 301 s in the past", `t=${NOW - 301},v1=${hmac(SECRET, NOW - 301)}`, body, NOW, { ok: false, reason: "timestamp outside the tolerance zone" }],
    ["timestamp 301 s in the future", `t=${NOW + 301},v1=${hmac(SECRET, NOW + 301)}`, body, NOW, { ok: false, reason: "timestamp outside the tolerance zone" }],
    ["timestamp in milliseconds", `t=${NOW * 1000},v1=${hmac(SECRET, NOW * 1000)}`, body, NOW, { ok: false, reason: "timestamp outside the tolerance zone" }],
    ["no header", null, body, NOW, { ok: false, reason: "missing X-Kit-Signature header" }],
    ["empty header", "", body, NOW, { ok: false, reason: "missing X-Kit-Signature header" }],
    ["missing t", `v1=${good}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["empty t", `t=,v1=${good}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["non-numeric t", `t=yesterday,v1=${good}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["negative t", `t=-${NOW},v1=${good}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["missing v1", `t=${NOW}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["empty v1", `t=${NOW},v1=`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["non-hex v1", `t=${NOW},v1=${"z".repeat(64)}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["short v1", `t=${NOW},v1=${good.slice(0, 63)}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["long v1", `t=${NOW},v1=${good}0`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["base64 v1", `t=${NOW},v1=${Buffer.from(good, "hex").toString("base64")}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["only separators", ",,,", body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
    ["Stripe-style scheme name", `t=${NOW},v2=${good}`, body, NOW, { ok: false, reason: "malformed X-Kit-Signature header" }],
  ])("%s", (_name, header, raw, now, expected) => {
    expect(verifyKitSignature(header, raw, SECRET, now)).toEqual(expected);
  });

  it("tolerance is five minutes", () => {
    expect(KIT_TOLERANCE_SECONDS).toBe(300);
  });
});

describe("signKitPayload", () => {
  it.each([
    ["", SECRET, 0],
    [body, SECRET, NOW],
    [body, OLD_SECRET, NOW],
    ["ünïcödé ✓", SECRET, NOW],
  ])("signs %j so that verification accepts it", (raw, secret, timestamp) => {
    const header = signKitPayload(raw, secret, timestamp);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(header).toBe(`t=${timestamp},v1=${hmac(secret, timestamp, raw)}`);
    expect(verifyKitSignature(header, raw, secret, timestamp)).toEqual({ ok: true });
  });

  it("defaults the timestamp to now", () => {
    const before = Math.floor(Date.now() / 1000);
    const header = signKitPayload(body, SECRET);
    const timestamp = Number(/^t=(\d+),/.exec(header)?.[1]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(before + 2);
  });
});

describe("kitDeliverySchema", () => {
  it.each([
    ["one event", 1],
    ["a hundred events", 100],
  ])("accepts %s", (_name, count) => {
    const events = Array.from({ length: count }, (_, index) => kitEvent({ id: `evt-${index}` }));
    const parsed = kitDeliverySchema.parse({ delivery_id: "d-1", events });
    expect(parsed.events).toHaveLength(count);
  });

  it.each([
    ["no events", 0, "a delivery carries at least one event"],
    ["101 events", 101, "a delivery carries at most 100 events"],
  ])("rejects %s", (_name, count, message) => {
    const events = Array.from({ length: count }, (_, index) => kitEvent({ id: `evt-${index}` }));
    const result = kitDeliverySchema.safeParse({ delivery_id: 1, events });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });

  it.each<[string, unknown]>([
    ["events missing", { delivery_id: 1 }],
    ["events not an array", { events: kitEvent() }],
    ["event without id", { events: [kitEvent({ id: undefined })] }],
    ["event with an empty id", { events: [kitEvent({ id: "" })] }],
    ["event without type", { events: [kitEvent({ type: undefined })] }],
    ["created not a date-time", { events: [kitEvent({ created: "yesterday" })] }],
    ["created as unix seconds", { events: [kitEvent({ created: 1767225600 })] }],
    ["subscriber missing", { events: [kitEvent({ data: {} })] }],
    ["subscriber id not positive", { events: [kitEvent({}, { subscriber: { id: 0, email_address: "ada@example.com" } })] }],
    ["subscriber email without @", { events: [kitEvent({}, { subscriber: { id: 7, email_address: "ada" } })] }],
    ["tag id a string", { events: [kitEvent({}, { tag: { id: "12" } })] }],
  ])("rejects %s", (_name, delivery) => {
    expect(kitDeliverySchema.safeParse(delivery).success).toBe(false);
  });

  it("normalizes subscriber emails and accepts offsets in created", () => {
    const parsed = kitDeliverySchema.parse({
      events: [kitEvent({ created: "2026-01-01T01:00:00+01:00" }, { subscriber: { id: 7, email_address: "  Ada@Example.COM " } })],
    });
    expect(parsed.events[0]?.data.subscriber.email_address).toBe("ada@example.com");
    expect(parsed.events[0]?.created).toBe("2026-01-01T01:00:00+01:00");
  });
});

describe("normalizeKitEvent", () => {
  const normalize = (o: Record<string, unknown>, data: Record<string, unknown> = {}) => normalizeKitEvent(kitEventSchema.parse(kitEvent(o, data)));
  const base = { eventId: "3f1c7a52-8d6e-4d7a-9b0e-2f4c5a6b7c8d", at: new Date("2026-01-01T00:00:00Z"), kitSubscriberId: 7, email: "ada@example.com" };

  it.each([
    ["subscriber.activated", "active"],
    ["subscriber.unsubscribed", "unsubscribed"],
    ["subscriber.bounced", "bounced"],
    ["subscriber.complained", "complained"],
  ])("%s -> state %s", (type, state) => {
    expect(normalize({ type })).toEqual({ ok: true, event: { ...base, kind: "kit_subscriber_state", state } });
  });

  it.each([
    ["subscriber.tag_added", true],
    ["subscriber.tag_removed", false],
  ])("%s -> tag present %s", (type, present) => {
    expect(normalize({ type }, { tag: { id: 4001, name: "Member" } })).toEqual({
      ok: true,
      event: { ...base, kind: "kit_tag_changed", tagId: 4001, present },
    });
  });

  it.each(["subscriber.tag_added", "subscriber.tag_removed"])("%s without a tag is rejected", (type) => {
    expect(normalize({ type })).toEqual({ ok: false, error: `${type} without a tag` });
  });

  it.each(["subscriber.form_subscribe", "purchase.created", "subscriber.tag_added_extra"])("unhandled type %s -> ok false", (type) => {
    expect(normalize({ type })).toEqual({ ok: false, error: `unhandled event type ${type}` });
  });

  it("provider time comes from created, offset included", () => {
    const result = normalize({ created: "2026-01-01T01:00:00+01:00" });
    expect(result.ok && result.event.at).toEqual(new Date("2026-01-01T00:00:00Z"));
  });

  it("handledKitTypes lists exactly the types that normalize", () => {
    expect(handledKitTypes).toEqual(
      new Set([
        "subscriber.activated",
        "subscriber.unsubscribed",
        "subscriber.bounced",
        "subscriber.complained",
        "subscriber.tag_added",
        "subscriber.tag_removed",
      ]),
    );
  });
});
