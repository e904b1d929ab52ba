import { FakeApiServer, field, type FaultMatch, type Incoming, type Reply } from "./server";

export type { FakeRequestLogEntry } from "./server";

// The sandbox's Kit stand-in: an in-memory Kit API v4 over real HTTP, used by the demo
// (`npm start` without KIT_API_KEY), the tests and the benchmarks. It covers the subscriber and
// tag operations the client uses, with the spec's paths, status codes, error shape and response
// fields. Product code: no dependency on vitest or on test/.

export const FAKE_KIT_API_KEY = "fake-kit-api-key";

const DEFAULT_PAGE_SIZE = 500;
const MAX_PAGE_SIZE = 1000;

export type KitFault = FaultMatch &
  (
    | { status: 500 | 502 | 503 }
    /** Kit's 429 carries no Retry-After. */
    | { status: 429 }
    | { timeoutMs: number; applyThenHang?: boolean }
    | { delayMs: number }
  );

interface Subscriber {
  id: number;
  email: string;
  firstName: string | null;
  state: string;
  createdAt: string;
}

interface Tag {
  id: number;
  name: string;
  createdAt: string;
}

const kitError = (status: number, ...errors: string[]): Reply => ({ status, body: { errors } });
const notFound = () => kitError(404, "Not Found");

function kitFaultReply(fault: KitFault & { status: number }): Reply {
  if (fault.status === 429) return kitError(429, "Rate limit exceeded. Please try again later.");
  if (fault.status === 502) return { status: 502, html: "<html><body><h1>502 Bad Gateway</h1></body></html>" };
  return kitError(fault.status, fault.status === 503 ? "Service unavailable" : "Internal server error");
}

// Kit cursors are opaque base64; here they encode the last tag id of the page.
const encodeCursor = (id: number) => Buffer.from(String(id)).toString("base64");
const decodeCursor = (cursor: string) => Number(Buffer.from(cursor, "base64").toString("utf8"));

function subscriberJson(subscriber: Subscriber, extra: Record<string, unknown> = {}) {
  return {
    subscriber: {
      id: subscriber.id,
      first_name: subscriber.firstName,
      email_address: subscriber.email,
      state: subscriber.state,
      created_at: subscriber.createdAt,
      ...extra,
      fields: {},
    },
  };
}

export class FakeKit extends FakeApiServer<KitFault> {
  readonly apiKey: string;

  private subscribers = new Map<number, Subscriber>();
  private tags = new Map<number, Tag>();
  /** tag id -> subscriber id -> tagged_at */
  private taggings = new Map<number, Map<number, string>>();
  /** "tagId:subscriberId" -> how many times the tag went on through the API (each one fires Kit's automations). */
  private tagAdds = new Map<string, number>();
  private nextId = { subscriber: 1001, tag: 1 };

  /** The URL is the bare origin: client paths carry `/v4`. */
  constructor(options: { apiKey?: string } = {}) {
    super("");
    this.apiKey = options.apiKey ?? FAKE_KIT_API_KEY;
  }

  protected faultReply = kitFaultReply;
  protected internalError = () => kitError(500, "Internal server error");

  protected clearState(): void {
    this.subscribers.clear();
    this.tags.clear();
    this.taggings.clear();
    this.tagAdds.clear();
    this.nextId = { subscriber: 1001, tag: 1 };
  }

  /** `id` pins the tag's id (a sandbox matching a plan catalog); otherwise the next free one. */
  addTag(name: string, id = this.nextId.tag): number {
    this.nextId.tag = Math.max(this.nextId.tag, id + 1);
    this.tags.set(id, { id, name, createdAt: new Date().toISOString() });
    this.taggings.set(id, new Map());
    return id;
  }

  addSubscriber(email: string, firstName?: string): number {
    return this.insertSubscriber(email, firstName ?? null).id;
  }

  findSubscriber(email: string): { id: number; email: string; firstName: string | null; state: string } | undefined {
    const subscriber = this.subscriberByEmail(email);
    return subscriber && { ...subscriber };
  }

  /** Ids of the tags applied to a subscriber, ascending. */
  tagsOf(email: string): number[] {
    const subscriber = this.subscriberByEmail(email);
    if (!subscriber) return [];
    return [...this.taggings].filter(([, tagged]) => tagged.has(subscriber.id)).map(([tagId]) => tagId).sort((a, b) => a - b);
  }

  /** A change made by hand in Kit: the tag comes off the subscriber. */
  untagByHand(tagId: number, email: string): void {
    const subscriber = this.subscriberByEmail(email);
    if (!subscriber || !this.taggings.get(tagId)?.delete(subscriber.id)) throw new Error(`fake Kit: ${email} does not hold tag ${tagId}`);
  }

  /** A change made by hand in Kit: the tag goes on an existing subscriber. */
  tagByHand(tagId: number, email: string): void {
    const subscriber = this.subscriberByEmail(email);
    const tagged = this.taggings.get(tagId);
    if (!subscriber || !tagged) throw new Error(`fake Kit: cannot tag ${email} with ${tagId}`);
    tagged.set(subscriber.id, new Date().toISOString());
  }

  /** The subscriber unsubscribes (Kit's state "cancelled"). */
  unsubscribe(email: string): void {
    const subscriber = this.subscriberByEmail(email);
    if (!subscriber) throw new Error(`fake Kit: no subscriber ${email}`);
    subscriber.state = "cancelled";
  }

  subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Every subscriber with their tags and how many times each tag was added (the chaos harness counts doubled automations). */
  subscriberTags(): Array<{ id: number; email: string; tagIds: number[]; tagAdds: Map<number, number> }> {
    return [...this.subscribers.values()].map((subscriber) => ({
      id: subscriber.id,
      email: subscriber.email,
      tagIds: [...this.taggings].filter(([, tagged]) => tagged.has(subscriber.id)).map(([tagId]) => tagId).sort((a, b) => a - b),
      tagAdds: new Map([...this.taggings.keys()].flatMap((tagId) => {
        const adds = this.tagAdds.get(`${tagId}:${subscriber.id}`);
        return adds ? [[tagId, adds] as const] : [];
      })),
    }));
  }

  private insertSubscriber(email: string, firstName: string | null): Subscriber {
    const subscriber = {
      id: this.nextId.subscriber++,
      email,
      firstName,
      state: "active",
      createdAt: new Date().toISOString(),
    };
    this.subscribers.set(subscriber.id, subscriber);
    return subscriber;
  }

  private subscriberByEmail(email: string): Subscriber | undefined {
    const wanted = email.trim().toLowerCase();
    for (const subscriber of this.subscribers.values()) {
      if (subscriber.email.toLowerCase() === wanted) return subscriber;
    }
    return undefined;
  }

  protected route({ method, path, query, rawBody, headers }: Incoming): Reply {
    if (headers["x-kit-api-key"] !== this.apiKey) return kitError(401, "The access token is invalid");
    let body: unknown;
    try {
      body = rawBody === "" ? undefined : JSON.parse(rawBody);
    } catch {
      return kitError(400, "Invalid JSON in request body");
    }

    if (path === "/v4/subscribers" && method === "POST") return this.upsertSubscriber(body);
    const subscriberPath = /^\/v4\/subscribers\/(\d+)$/.exec(path);
    if (subscriberPath && method === "PUT") return this.updateSubscriber(Number(subscriberPath[1]), body);
    if (path === "/v4/tags" && method === "GET") return this.listTags(query);
    const tagSubscribers = /^\/v4\/tags\/(\d+)\/subscribers$/.exec(path);
    if (tagSubscribers && method === "POST") return this.tag(Number(tagSubscribers[1]), field(body, "email_address"));
    if (tagSubscribers && method === "GET") return this.listTagSubscribers(Number(tagSubscribers[1]), query);
    if (tagSubscribers && method === "DELETE") return this.untag(Number(tagSubscribers[1]), query.get("email_address"));
    return notFound();
  }

  private upsertSubscriber(body: unknown): Reply {
    const email = field(body, "email_address");
    const firstName = field(body, "first_name");
    if (typeof email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(email)) return kitError(422, "Email address is invalid");
    const existing = this.subscriberByEmail(email);
    if (existing) {
      if (typeof firstName === "string") existing.firstName = firstName;
      return { status: 200, body: subscriberJson(existing) };
    }
    const subscriber = this.insertSubscriber(email.trim(), typeof firstName === "string" ? firstName : null);
    return { status: 201, body: subscriberJson(subscriber) };
  }

  private updateSubscriber(id: number, body: unknown): Reply {
    const subscriber = this.subscribers.get(id);
    if (!subscriber) return notFound();
    const email = field(body, "email_address");
    if (typeof email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(email)) return kitError(422, "Email address is invalid");
    const holder = this.subscriberByEmail(email);
    if (holder && holder.id !== id) return kitError(422, "Email address has already been taken");
    subscriber.email = email.trim();
    return { status: 200, body: subscriberJson(subscriber) };
  }

  private listTags(query: URLSearchParams): Reply {
    const perPage = Math.min(Number(query.get("per_page") ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const after = query.get("after");
    const afterId = after ? decodeCursor(after) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(afterId)) return kitError(422, "Invalid cursor");
    // Newest first, as in the spec's example.
    const remaining = [...this.tags.values()].sort((a, b) => b.id - a.id).filter((tag) => tag.id < afterId);
    const page = remaining.slice(0, perPage);
    const first = page[0];
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        tags: page.map((tag) => ({ id: tag.id, name: tag.name, created_at: tag.createdAt })),
        pagination: {
          has_previous_page: after !== null,
          has_next_page: remaining.length > perPage,
          start_cursor: first ? encodeCursor(first.id) : null,
          end_cursor: last ? encodeCursor(last.id) : null,
          per_page: perPage,
        },
      },
    };
  }

  // Kit lists a tag's subscribers newest tagging first, cursor-paginated; `status` filters by
  // subscriber state (default active; "all" for every state).
  private listTagSubscribers(tagId: number, query: URLSearchParams): Reply {
    const tagged = this.taggings.get(tagId);
    if (!tagged) return notFound();
    const perPage = Math.min(Number(query.get("per_page") ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const status = query.get("status") ?? "active";
    const after = query.get("after");
    const afterId = after ? decodeCursor(after) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(afterId)) return kitError(422, "Invalid cursor");
    const remaining = [...tagged]
      .map(([subscriberId, taggedAt]) => ({ subscriber: this.subscribers.get(subscriberId), taggedAt }))
      .filter((row): row is { subscriber: Subscriber; taggedAt: string } => row.subscriber !== undefined && (status === "all" || row.subscriber.state === status))
      .sort((a, b) => b.subscriber.id - a.subscriber.id)
      .filter((row) => row.subscriber.id < afterId);
    const page = remaining.slice(0, perPage);
    const first = page[0];
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        subscribers: page.map((row) => ({ ...subscriberJson(row.subscriber).subscriber, tagged_at: row.taggedAt })),
        pagination: {
          has_previous_page: after !== null,
          has_next_page: remaining.length > perPage,
          start_cursor: first ? encodeCursor(first.subscriber.id) : null,
          end_cursor: last ? encodeCursor(last.subscriber.id) : null,
          per_page: perPage,
        },
      },
    };
  }

  private tag(tagId: number, email: unknown): Reply {
    const tagged = this.taggings.get(tagId);
    if (!tagged) return notFound();
    if (typeof email !== "string") return kitError(422, "Either subscriber id or email address is required to tag subscriber");
    // The subscriber being tagged must already exist.
    const subscriber = this.subscriberByEmail(email);
    if (!subscriber) return notFound();
    const alreadyTaggedAt = tagged.get(subscriber.id);
    const taggedAt = alreadyTaggedAt ?? new Date().toISOString();
    tagged.set(subscriber.id, taggedAt);
    const addsKey = `${tagId}:${subscriber.id}`;
    if (!alreadyTaggedAt) this.tagAdds.set(addsKey, (this.tagAdds.get(addsKey) ?? 0) + 1);
    return { status: alreadyTaggedAt ? 200 : 201, body: subscriberJson(subscriber, { tagged_at: taggedAt }) };
  }

  private untag(tagId: number, email: string | null): Reply {
    const tagged = this.taggings.get(tagId);
    if (!tagged) return notFound();
    if (!email) return kitError(422, "Either subscriber id or email address is required to remove tag from subscriber");
    const subscriber = this.subscriberByEmail(email);
    if (!subscriber) return notFound();
    tagged.delete(subscriber.id);
    return { status: 204 };
  }
}

export function createFakeKit(options: { apiKey?: string } = {}): FakeKit {
  return new FakeKit(options);
}
