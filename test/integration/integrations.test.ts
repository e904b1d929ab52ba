import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCircleClient } from "../../lib/integrations/circle";
import { IntegrationError, parseRetryAfter } from "../../lib/integrations/errors";
import { createKitClient } from "../../lib/integrations/kit";
import { createFakeCircle } from "../../lib/sandbox/circle";
import { createFakeKit } from "../../lib/sandbox/kit";

const CIRCLE_TOKEN = "circle-token-0123456789abcdef";
const KIT_API_KEY = "kit-key-fedcba9876543210";
const EMAIL = "ada.lovelace+vip@example.com";

const circle = createFakeCircle({ token: CIRCLE_TOKEN });
const kit = createFakeKit({ apiKey: KIT_API_KEY });
let circleUrl = "";
let kitUrl = "";

beforeAll(async () => {
  circleUrl = (await circle.start()).url;
  kitUrl = (await kit.start()).url;
});

afterAll(async () => {
  await circle.stop();
  await kit.stop();
});

beforeEach(() => {
  circle.reset();
  kit.reset();
});

const circleClient = (options: { token?: string; timeoutMs?: number; beforeRequest?: () => Promise<void> } = {}) =>
  createCircleClient({ baseUrl: circleUrl, token: CIRCLE_TOKEN, ...options });

const kitClient = (options: { apiKey?: string; timeoutMs?: number; beforeRequest?: () => Promise<void> } = {}) =>
  createKitClient({ baseUrl: kitUrl, apiKey: KIT_API_KEY, ...options });

async function integrationError(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  return error as IntegrationError;
}

function expectNoSecrets(error: IntegrationError, secrets: string[]): void {
  const text = `${error.message}\n${error.stack ?? ""}\n${error.detail ?? ""}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/** A one-route server answering every request with a fixed body, for responses the fakes never send. */
async function withFixedResponse(
  status: number,
  body: string,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("Circle client", () => {
  it("creates a member, finds it by email and adds it to the requested access groups", async () => {
    const vip = circle.addAccessGroup("VIP");
    const course = circle.addAccessGroup("Course");
    const client = circleClient();

    expect(await client.findMemberByEmail(EMAIL)).toBeNull();
    const created = await client.createMember({
      email: EMAIL,
      name: "Ada Lovelace",
      accessGroupIds: [vip, course],
      skipInvitation: true,
    });

    expect(created).toEqual({ id: expect.any(Number), email: EMAIL, acceptedInvitation: false });
    expect(await client.findMemberByEmail(EMAIL.toUpperCase())).toEqual(created);
    expect(circle.membersOf(vip)).toEqual([EMAIL]);
    expect(circle.membersOf(course)).toEqual([EMAIL]);
    // Circle's "YYYY-MM-DD HH:MM:SS UTC" once the invitation is accepted: the member has joined.
    circle.acceptInvitation(EMAIL);
    expect(await client.findMemberByEmail(EMAIL)).toEqual({ ...created, acceptedInvitation: true });
  });

  it("adds, checks and removes access group membership idempotently", async () => {
    const group = circle.addAccessGroup("VIP");
    circle.addMember(EMAIL, "Ada Lovelace");
    const client = circleClient();

    expect(await client.isInAccessGroup(group, EMAIL)).toBe(false);
    await client.addToAccessGroup(group, EMAIL);
    await client.addToAccessGroup(group, EMAIL);
    expect(circle.membersOf(group)).toEqual([EMAIL]);
    expect(await client.isInAccessGroup(group, EMAIL)).toBe(true);

    await client.removeFromAccessGroup(group, EMAIL);
    await client.removeFromAccessGroup(group, EMAIL);
    expect(circle.membersOf(group)).toEqual([]);
    expect(await client.isInAccessGroup(group, EMAIL)).toBe(false);
  });

  it("treats an email unknown to the community as not in the group", async () => {
    const group = circle.addAccessGroup("VIP");
    const client = circleClient();

    expect(await client.isInAccessGroup(group, EMAIL)).toBe(false);
    await expect(client.removeFromAccessGroup(group, EMAIL)).resolves.toBeUndefined();
    const error = await integrationError(client.addToAccessGroup(group, EMAIL));
    expect(error).toMatchObject({ code: "not_found", status: 404, retryable: false });
  });

  it("reports a missing access group as an error rather than a missing membership", async () => {
    circle.addMember(EMAIL);
    const client = circleClient();

    for (const call of [client.isInAccessGroup(999, EMAIL), client.removeFromAccessGroup(999, EMAIL)]) {
      const error = await integrationError(call);
      expect(error).toMatchObject({ provider: "circle", code: "not_found", retryable: false });
      expect(error.detail).toBe("Missing record: access group");
    }
  });

  it("fails permanently with code unauthorized on a bad token", async () => {
    const badToken = "wrong-circle-token-42";
    const error = await integrationError(circleClient({ token: badToken }).findMemberByEmail(EMAIL));

    expect(error).toMatchObject({ provider: "circle", code: "unauthorized", status: 401, retryable: false });
    expectNoSecrets(error, [badToken, CIRCLE_TOKEN, EMAIL]);
  });

  it.each([500, 502, 503] as const)("marks HTTP %i as retryable", async (status) => {
    circle.fail({ status, method: "GET", path: "/community_members/search" });
    const error = await integrationError(circleClient().findMemberByEmail(EMAIL));

    expect(error).toMatchObject({ code: "server_error", status, retryable: true, retryAfterMs: null });
  });

  it("reads Retry-After on 429, and copes without it", async () => {
    circle.fail({ status: 429, retryAfterSeconds: 7 });
    circle.fail({ status: 429 });
    const client = circleClient();

    const withHeader = await integrationError(client.findMemberByEmail(EMAIL));
    expect(withHeader).toMatchObject({ code: "rate_limited", status: 429, retryable: true, retryAfterMs: 7000 });
    const withoutHeader = await integrationError(client.findMemberByEmail(EMAIL));
    expect(withoutHeader).toMatchObject({ code: "rate_limited", retryable: true, retryAfterMs: null });
  });

  it("times out a hung request as a retryable error", async () => {
    circle.fail({ timeoutMs: 1000 });
    const started = Date.now();
    const error = await integrationError(circleClient({ timeoutMs: 200 }).findMemberByEmail(EMAIL));

    expect(Date.now() - started).toBeLessThan(900);
    expect(error).toMatchObject({ provider: "circle", code: "timeout", status: null, retryable: true });
    expectNoSecrets(error, [CIRCLE_TOKEN, EMAIL]);
  });

  it("applies an add to a group exactly once when the write succeeded but the response was lost", async () => {
    const group = circle.addAccessGroup("VIP");
    circle.addMember(EMAIL);
    circle.fail({ timeoutMs: 1000, applyThenHang: true, method: "POST", path: `/access_groups/${group}/community_members` });
    const client = circleClient({ timeoutMs: 200 });

    const error = await integrationError(client.addToAccessGroup(group, EMAIL));
    expect(error.code).toBe("timeout");
    expect(circle.membersOf(group)).toEqual([EMAIL]);

    await client.addToAccessGroup(group, EMAIL);
    expect(circle.membersOf(group)).toEqual([EMAIL]);
  });

  it("returns the existing member when a create is retried after a lost response", async () => {
    const group = circle.addAccessGroup("VIP");
    circle.fail({ timeoutMs: 1000, applyThenHang: true, method: "POST", path: "/community_members" });
    const client = circleClient({ timeoutMs: 200 });

    expect((await integrationError(client.createMember({ email: EMAIL, accessGroupIds: [group] }))).code).toBe("timeout");
    const member = await client.createMember({ email: EMAIL, accessGroupIds: [group] });

    expect(circle.memberCount()).toBe(1);
    expect(await client.findMemberByEmail(EMAIL)).toEqual(member);
    expect(circle.membersOf(group)).toEqual([EMAIL]);
  });

  it("waits for a slow but successful response and logs it", async () => {
    circle.addMember(EMAIL);
    circle.latencyMs = 50;
    circle.fail({ delayMs: 100 });
    const started = Date.now();

    expect(await circleClient().findMemberByEmail(EMAIL)).not.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(circle.requests()).toEqual([{ method: "GET", path: "/community_members/search", status: 200 }]);
  });

  it("calls beforeRequest once per HTTP request", async () => {
    const groups = [circle.addAccessGroup("A"), circle.addAccessGroup("B")];
    let slotsTaken = 0;
    const client = circleClient({
      beforeRequest: async () => {
        slotsTaken += 1;
      },
    });

    await client.createMember({ email: EMAIL, accessGroupIds: groups });
    expect(slotsTaken).toBe(3);
    expect(circle.requests()).toHaveLength(3);
  });
});

describe("Kit client", () => {
  it("upserts a subscriber: 201 creates, 200 returns the existing one", async () => {
    const client = kitClient();

    const first = await client.upsertSubscriber({ email: EMAIL, firstName: "Ada" });
    expect(first).toEqual({ id: expect.any(Number), email: EMAIL, state: "active", created: true });
    const second = await client.upsertSubscriber({ email: EMAIL, firstName: "Augusta" });
    expect(second).toEqual({ ...first, created: false });
    expect(kit.subscriberCount()).toBe(1);
    expect(kit.findSubscriber(EMAIL)?.firstName).toBe("Augusta");
  });

  it("tags idempotently and untags, treating an absent subscriber as untagged", async () => {
    const tag = kit.addTag("customer");
    kit.addSubscriber(EMAIL);
    const client = kitClient();

    expect(await client.tagByEmail(tag, EMAIL)).toEqual({ created: true });
    expect(await client.tagByEmail(tag, EMAIL)).toEqual({ created: false });
    expect(kit.tagsOf(EMAIL)).toEqual([tag]);

    await client.untagByEmail(tag, EMAIL);
    await client.untagByEmail(tag, EMAIL);
    await client.untagByEmail(tag, "nobody@example.com");
    expect(kit.tagsOf(EMAIL)).toEqual([]);
  });

  it("fails permanently when tagging with an unknown tag", async () => {
    kit.addSubscriber(EMAIL);
    const error = await integrationError(kitClient().tagByEmail(999, EMAIL));

    expect(error).toMatchObject({ provider: "kit", code: "not_found", status: 404, retryable: false });
  });

  it("lists every tag across cursor pages", async () => {
    const ids = Array.from({ length: 1005 }, (_, index) => kit.addTag(`tag ${index}`));

    const tags = await kitClient().listTags();

    expect(tags).toHaveLength(1005);
    expect(new Set(tags.map((tag) => tag.id))).toEqual(new Set(ids));
    expect(tags.find((tag) => tag.id === ids[0])?.name).toBe("tag 0");
    expect(kit.requests().map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      "GET /v4/tags 200",
      "GET /v4/tags 200",
    ]);
  });

  it("changes a subscriber's email, refusing one already taken", async () => {
    const id = kit.addSubscriber(EMAIL);
    kit.addSubscriber("taken@example.com");
    const client = kitClient();

    expect(await client.updateSubscriberEmail(id, "ada@example.org")).toEqual({
      id,
      email: "ada@example.org",
      state: "active",
    });
    expect(kit.findSubscriber("ada@example.org")?.id).toBe(id);

    const taken = await integrationError(client.updateSubscriberEmail(id, "taken@example.com"));
    expect(taken).toMatchObject({ code: "invalid_request", status: 422, retryable: false });
    expectNoSecrets(taken, ["taken@example.com", KIT_API_KEY]);
    const missing = await integrationError(client.updateSubscriberEmail(424242, "ada@example.org"));
    expect(missing).toMatchObject({ code: "not_found", status: 404, retryable: false });
  });

  it("fails permanently with code unauthorized on a bad API key", async () => {
    const badKey = "wrong-kit-key-42";
    const error = await integrationError(kitClient({ apiKey: badKey }).upsertSubscriber({ email: EMAIL }));

    expect(error).toMatchObject({ provider: "kit", code: "unauthorized", status: 401, retryable: false });
    expectNoSecrets(error, [badKey, KIT_API_KEY, EMAIL]);
  });

  it("marks 429 retryable with no Retry-After, and 500 and 503 retryable", async () => {
    kit.fail({ status: 429 });
    kit.fail({ status: 500 });
    kit.fail({ status: 503 });
    const client = kitClient();

    const rateLimited = await integrationError(client.listTags());
    expect(rateLimited).toMatchObject({ code: "rate_limited", status: 429, retryable: true, retryAfterMs: null });
    for (const status of [500, 503]) {
      expect(await integrationError(client.listTags())).toMatchObject({ code: "server_error", status, retryable: true });
    }
  });

  it("times out a hung request as a retryable error", async () => {
    kit.fail({ timeoutMs: 1000, method: "POST", path: "/v4/subscribers" });
    const error = await integrationError(kitClient({ timeoutMs: 200 }).upsertSubscriber({ email: EMAIL }));

    expect(error).toMatchObject({ provider: "kit", code: "timeout", status: null, retryable: true });
    expect(kit.subscriberCount()).toBe(0);
    expectNoSecrets(error, [KIT_API_KEY, EMAIL]);
  });

  it("applies a tag exactly once when the write succeeded but the response was lost", async () => {
    const tag = kit.addTag("customer");
    kit.addSubscriber(EMAIL);
    kit.fail({ timeoutMs: 1000, applyThenHang: true, path: `/v4/tags/${tag}/subscribers` });
    const client = kitClient({ timeoutMs: 200 });

    expect((await integrationError(client.tagByEmail(tag, EMAIL))).code).toBe("timeout");
    expect(await client.tagByEmail(tag, EMAIL)).toEqual({ created: false });
    expect(kit.tagsOf(EMAIL)).toEqual([tag]);
    expect(kit.requests().map((entry) => entry.status)).toEqual([null, 200]);
  });
});

describe("responses the clients cannot use", () => {
  it("rejects a 2xx body of the wrong shape as a permanent bad_response", async () => {
    await withFixedResponse(200, JSON.stringify({ subscriber: { id: "not-a-number" } }), async (url) => {
      const error = await integrationError(
        createKitClient({ baseUrl: url, apiKey: KIT_API_KEY }).upsertSubscriber({ email: EMAIL }),
      );
      expect(error).toMatchObject({ provider: "kit", code: "bad_response", status: 200, retryable: false });
      expectNoSecrets(error, [KIT_API_KEY, EMAIL]);
    });
  });

  it.each([
    ["listTags", { tags: [{ id: 1, name: "a" }], pagination: { has_next_page: true, end_cursor: null } }],
    ["listTagSubscribers", { subscribers: [{ id: 1, email_address: EMAIL, state: "active" }], pagination: { has_next_page: true, end_cursor: null } }],
  ] as const)("stops %s when Kit announces a next page without a cursor, instead of asking forever", async (operation, page) => {
    await withFixedResponse(200, JSON.stringify(page), async (url) => {
      const client = createKitClient({ baseUrl: url, apiKey: KIT_API_KEY });
      const error = await integrationError(operation === "listTags" ? client.listTags() : client.listTagSubscribers(1));
      expect(error).toMatchObject({ provider: "kit", code: "bad_response", retryable: false });
      expect(error.message).toContain(`kit ${operation}`);
    });
  });

  it("rejects a non-JSON 2xx body as a permanent bad_response", async () => {
    await withFixedResponse(200, "<html>maintenance</html>", async (url) => {
      const error = await integrationError(createCircleClient({ baseUrl: url, token: CIRCLE_TOKEN }).findMemberByEmail(EMAIL));
      expect(error).toMatchObject({ provider: "circle", code: "bad_response", retryable: false });
    });
  });

  it("redacts emails and tokens that a provider echoes in its error text", async () => {
    const echoed = JSON.stringify({
      success: false,
      message: `Cannot invite ${EMAIL} with token ${CIRCLE_TOKEN}`,
      error_details: {},
    });
    await withFixedResponse(422, echoed, async (url) => {
      const error = await integrationError(
        createCircleClient({ baseUrl: url, token: CIRCLE_TOKEN }).addToAccessGroup(1, EMAIL),
      );
      expect(error).toMatchObject({ code: "invalid_request", status: 422, retryable: false });
      expect(error.message).toContain("[email]");
      expectNoSecrets(error, [CIRCLE_TOKEN, EMAIL, "ada.lovelace"]);
    });
  });

  it("reports an unreachable server as a retryable network error", async () => {
    let url = "";
    await withFixedResponse(200, "{}", async (liveUrl) => {
      url = liveUrl;
    });
    const error = await integrationError(createKitClient({ baseUrl: url, apiKey: KIT_API_KEY }).listTags());

    expect(error).toMatchObject({ provider: "kit", code: "network", status: null, retryable: true });
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads delta-seconds and HTTP-dates, and ignores garbage", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
