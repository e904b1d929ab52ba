import { z } from "zod";
import { IntegrationError } from "./errors";
import { createJsonHttp } from "./http";

export const KIT_DEFAULT_BASE_URL = "https://api.kit.com";

/** Kit's maximum page size: fewer requests against the 120-per-minute budget. */
const TAGS_PAGE_SIZE = 1000;

export interface KitClientOptions {
  /** The bare origin; paths carry the `/v4` prefix. */
  baseUrl?: string;
  apiKey: string;
  timeoutMs?: number;
  beforeRequest?: () => Promise<void>;
}

export interface KitSubscriber {
  id: number;
  email: string;
  state: string;
}

export interface KitTag {
  id: number;
  name: string;
}

export interface KitClient {
  /** Creates the subscriber or updates the first name of an existing one. */
  upsertSubscriber(input: { email: string; firstName?: string }): Promise<KitSubscriber & { created: boolean }>;
  /** The subscriber must exist. `created` is false when the tag was already applied. */
  tagByEmail(tagId: number, email: string): Promise<{ created: boolean }>;
  /** Succeeds when the subscriber does not have the tag or does not exist. */
  /** `known`: false when Kit answered 404 (no subscriber under the address, or no such tag): nothing to take off there. */
  untagByEmail(tagId: number, email: string): Promise<{ known: boolean }>;
  listTags(): Promise<KitTag[]>;
  /** Every subscriber holding a tag, whatever their state (unsubscribed ones included), all pages read. */
  listTagSubscribers(tagId: number): Promise<KitSubscriber[]>;
  updateSubscriberEmail(subscriberId: number, email: string): Promise<KitSubscriber>;
}

const subscriberEnvelopeSchema = z.object({
  subscriber: z.object({ id: z.number().int(), email_address: z.string(), state: z.string() }),
});

const paginationSchema = z.object({ has_next_page: z.boolean(), end_cursor: z.string().nullable() });

const tagsPageSchema = z.object({
  tags: z.array(z.object({ id: z.number().int(), name: z.string() })),
  pagination: paginationSchema,
});

const tagSubscribersPageSchema = z.object({
  subscribers: z.array(z.object({ id: z.number().int(), email_address: z.string(), state: z.string() })),
  pagination: paginationSchema,
});

interface Page<T> {
  status: number;
  items: T[];
  pagination: z.infer<typeof paginationSchema>;
}

/**
 * Follows Kit's cursor pagination to the last page. A next page announced without a new cursor
 * is a broken answer, not a reason to ask for the same page forever.
 */
async function everyPage<T>(operation: string, page: (after: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (;;) {
    const { status, items: pageItems, pagination } = await page(after);
    items.push(...pageItems);
    if (!pagination.has_next_page) return items;
    const cursor = pagination.end_cursor;
    if (cursor === null || cursor === after) {
      throw new IntegrationError({
        provider: "kit",
        code: "bad_response",
        status,
        retryable: false,
        message: `kit ${operation} returned an unusable response: next page announced without a new cursor`,
      });
    }
    after = cursor;
  }
}

const kitErrorSchema = z.object({ errors: z.array(z.string()) });

function kitErrorDetail(body: unknown): string | null {
  const parsed = kitErrorSchema.safeParse(body);
  return parsed.success && parsed.data.errors.length > 0 ? parsed.data.errors.join("; ") : null;
}

function toSubscriber(data: z.infer<typeof subscriberEnvelopeSchema>): KitSubscriber {
  const { id, email_address: email, state } = data.subscriber;
  return { id, email, state };
}

export function createKitClient(options: KitClientOptions): KitClient {
  const request = createJsonHttp({
    provider: "kit",
    baseUrl: options.baseUrl ?? KIT_DEFAULT_BASE_URL,
    headers: { "x-kit-api-key": options.apiKey },
    secrets: [options.apiKey],
    errorDetail: kitErrorDetail,
    timeoutMs: options.timeoutMs,
    beforeRequest: options.beforeRequest,
  });

  return {
    async upsertSubscriber({ email, firstName }) {
      const { status, data } = await request({
        operation: "upsertSubscriber",
        method: "POST",
        path: "/v4/subscribers",
        body: { email_address: email, first_name: firstName },
        schema: subscriberEnvelopeSchema,
      });
      // 200 means it already existed; 201 (and 202, custom fields applied later) mean new.
      return { ...toSubscriber(data), created: status !== 200 };
    },

    async tagByEmail(tagId, email) {
      const { status } = await request({
        operation: "tagByEmail",
        method: "POST",
        path: `/v4/tags/${tagId}/subscribers`,
        body: { email_address: email },
        schema: subscriberEnvelopeSchema,
      });
      return { created: status === 201 };
    },

    async untagByEmail(tagId, email) {
      try {
        await request({
          operation: "untagByEmail",
          method: "DELETE",
          path: `/v4/tags/${tagId}/subscribers`,
          query: { email_address: email },
          // 204 No Content: nothing to read.
          schema: z.unknown(),
        });
        return { known: true };
      } catch (error) {
        // Kit answers 404 when the subscriber (or tag) is unknown: either way the tag is not applied.
        if (!(error instanceof IntegrationError && error.status === 404)) throw error;
        return { known: false };
      }
    },

    listTags() {
      return everyPage("listTags", async (after) => {
        const { status, data } = await request({ operation: "listTags", method: "GET", path: "/v4/tags", query: { per_page: TAGS_PAGE_SIZE, after }, schema: tagsPageSchema });
        return { status, items: data.tags.map(({ id, name }): KitTag => ({ id, name })), pagination: data.pagination };
      });
    },

    listTagSubscribers(tagId) {
      return everyPage("listTagSubscribers", async (after) => {
        const { status, data } = await request({
          operation: "listTagSubscribers",
          method: "GET",
          path: `/v4/tags/${tagId}/subscribers`,
          query: { per_page: TAGS_PAGE_SIZE, status: "all", after },
          schema: tagSubscribersPageSchema,
        });
        return { status, items: data.subscribers.map(({ id, email_address: email, state }): KitSubscriber => ({ id, email, state })), pagination: data.pagination };
      });
    },

    async updateSubscriberEmail(subscriberId, email) {
      const { data } = await request({
        operation: "updateSubscriberEmail",
        method: "PUT",
        path: `/v4/subscribers/${subscriberId}`,
        body: { email_address: email },
        schema: subscriberEnvelopeSchema,
      });
      return toSubscriber(data);
    },
  };
}
