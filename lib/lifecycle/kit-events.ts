import { z } from "zod";
import type { CanonicalEvent } from "./events";
import { normalizeEmail } from "./events";

// Pure: one event of a Kit webhook delivery -> a canonical event. Kit delivers
// `{ delivery_id, events: [...] }` with 1 to 100 events, each with its own UUID id.

const subscriber = z.object({
  id: z.number().int().positive(),
  email_address: z.string().max(320).includes("@").transform(normalizeEmail),
  state: z.string().optional(),
});

export const kitEventSchema = z.object({
  id: z.string().min(1).max(100),
  type: z.string().min(1).max(100),
  created: z.iso.datetime({ offset: true }),
  data: z.object({
    subscriber,
    tag: z.object({ id: z.number().int().positive(), name: z.string().optional() }).optional(),
  }),
});
export type KitEvent = z.infer<typeof kitEventSchema>;

export const kitDeliverySchema = z.object({
  delivery_id: z.union([z.number(), z.string()]).optional(),
  events: z.array(kitEventSchema).min(1, "a delivery carries at least one event").max(100, "a delivery carries at most 100 events"),
});

const STATE_BY_TYPE = {
  "subscriber.activated": "active",
  "subscriber.unsubscribed": "unsubscribed",
  "subscriber.bounced": "bounced",
  "subscriber.complained": "complained",
} as const;

export const handledKitTypes = new Set([...Object.keys(STATE_BY_TYPE), "subscriber.tag_added", "subscriber.tag_removed"]);

export function normalizeKitEvent(event: KitEvent): { ok: true; event: CanonicalEvent } | { ok: false; error: string } {
  const base = {
    eventId: event.id,
    at: new Date(event.created),
    kitSubscriberId: event.data.subscriber.id,
    email: event.data.subscriber.email_address,
  };
  if (Object.hasOwn(STATE_BY_TYPE, event.type)) {
    return { ok: true, event: { ...base, kind: "kit_subscriber_state", state: STATE_BY_TYPE[event.type as keyof typeof STATE_BY_TYPE] } };
  }
  if (event.type === "subscriber.tag_added" || event.type === "subscriber.tag_removed") {
    if (!event.data.tag) return { ok: false, error: `${event.type} without a tag` };
    return { ok: true, event: { ...base, kind: "kit_tag_changed", tagId: event.data.tag.id, present: event.type === "subscriber.tag_added" } };
  }
  return { ok: false, error: `unhandled event type ${event.type}` };
}
