// The record's vocabularies, owned by the lifecycle (which imports nothing but zod). The
// database enums in prisma/schema.prisma spell the same values; lib/record/store.ts fails to
// compile if the two ever drift apart.

export type Provider = "stripe" | "kit" | "circle";
export type EntitlementStatus = "trialing" | "active" | "past_due" | "canceled" | "refunded" | "expired";
export type AccessState = "pending" | "invited" | "active" | "revoked" | "failed";
export type TagState = "pending_add" | "applied" | "pending_remove" | "removed" | "failed";
export type EmailStatus = "active" | "unsubscribed" | "bounced" | "complained";
export type JourneyKind = "purchase" | "payment_failure" | "cancellation" | "refund" | "dispute";
/** What an admin's override is about: a Circle access group or a Kit tag. */
export type OverrideScope = "access" | "tag";
/** Hold it whatever the events say (allow), or keep it off whatever they say (deny: a ban). */
export type OverrideEffect = "allow" | "deny";
