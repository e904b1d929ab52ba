import type { TicketCategory } from "../lib/support/tickets";

// What a scenario is: a customer's history as provider events (sent through the real webhook
// handlers and worker), optional provider faults, a conversation of one to three turns with
// state changes that may land between them, and what must be true afterwards.

export type PlanKey = "community_monthly" | "masterclass";

/** A Stripe purchase the history talks about; times are seconds relative to the trial's start. */
export interface PurchaseSpec {
  email: string;
  name?: string;
  plan?: PlanKey;
  /** When it was bought, in seconds before now (default 3,600). */
  boughtAgo?: number;
  /** Length of the paid period from the purchase, in days (default 30). */
  periodDays?: number;
  /** Another purchase by the same Stripe customer (a second checkout, an upgrade). */
  sameCustomerAs?: string;
}

/** How far the worker gets after a step: everything, the webhook applies only, or one try at each side effect. */
export type Settle = "all" | "applied" | "attempted";

export type Step =
  | { kind: "checkout"; purchase: string; at?: number; paymentStatus?: "paid" | "no_payment_required" }
  | { kind: "subscription"; purchase: string; event: "created" | "updated" | "deleted"; at?: number; status?: string; cancelAtPeriodEnd?: boolean; endedAt?: number; plan?: PlanKey }
  | { kind: "invoice_paid"; purchase: string; at?: number; invoice?: string; plan?: PlanKey }
  | { kind: "invoice_failed"; purchase: string; at?: number; invoice?: string }
  | { kind: "invoice_payment_paid"; purchase: string; at?: number; invoice?: string }
  | { kind: "refund"; purchase: string; at?: number; partial?: boolean }
  | { kind: "dispute"; purchase: string; at?: number }
  | { kind: "email_changed"; purchase: string; email: string; at?: number }
  | { kind: "kit_unsubscribed"; email: string }
  | { kind: "fault"; provider: "circle" | "kit"; state: "down" | "up" }
  | { kind: "invite_accepted"; purchase: string }
  | { kind: "ticket"; purchase: string; category: TicketCategory; summary: string }
  | { kind: "settle"; until: Settle }
  | { kind: "redeliver"; step: number };

/** What the record says at the time of a reply, for facts that name a value (a date, a ticket). */
export interface ScoreContext {
  /** The reply's language, when known (otherwise guessed from the reply). */
  language?: string;
  /** ISO dates until which access continues (a canceled or past-due membership's end). */
  accessUntil?: readonly string[];
  /** Ticket references that exist for this customer (T-XXXXXXXX). */
  ticketReferences?: readonly string[];
}

/** A fact the reply must state, in any wording or language (evals/scorer). */
export interface Fact {
  fact: string;
  test(reply: string, context?: ScoreContext): boolean;
}

/** A claim the reply must not make; `find` returns the words that make it, or null. */
export interface Claim {
  claim: string;
  find(reply: string, context?: ScoreContext): string | null;
}

export interface Turn {
  /** State changes that land before this turn is asked. */
  before?: Step[];
  say: string;
  must?: Fact[];
  mustNot?: Claim[];
  /**
   * The state-changing actions the customer asks for in this turn, one entry per ask (procedure
   * check: no other such tool call, at most one call per ask). Absent: judged from `expect`.
   */
  asks?: Array<"resendInvite" | "openBillingTicket">;
}

export interface TicketState {
  category: string;
  status: string;
  /** The journey kind it belongs to, or null. */
  journey: string | null;
  source: "chat" | "system";
  /** Notes added after it was opened (a repeated ask adds one). */
  notes: number;
}

/** The parts of the database a conversation can change or must not change. */
export interface EndState {
  customers: number;
  entitlements: Array<{ plan: string; status: string }>;
  access: Array<{ plan: string; state: string }>;
  tickets: TicketState[];
  /** Who the (fake) Circle holds in each plan's access group: the side effect that matters most. */
  circle: Array<{ plan: string; email: string }>;
  /** Jobs enqueued while a turn was being answered, by kind. */
  conversationJobs: Record<string, number>;
}

export interface Scenario {
  id: string;
  category: string;
  description: string;
  purchases: Record<string, PurchaseSpec>;
  /** Who is signed in to the chat (default: the first purchase's email). */
  identity?: string;
  history: Step[];
  turns: Turn[];
  expect: EndState;
}

// Step builders, so scenarios read as a story.
export const checkout = (purchase = "main", extra: Omit<Extract<Step, { kind: "checkout" }>, "kind" | "purchase"> = {}): Step => ({ kind: "checkout", purchase, ...extra });
export const subscription = (
  event: "created" | "updated" | "deleted",
  extra: Omit<Extract<Step, { kind: "subscription" }>, "kind" | "purchase" | "event"> = {},
  purchase = "main",
): Step => ({ kind: "subscription", purchase, event, ...extra });
export const invoicePaid = (extra: Omit<Extract<Step, { kind: "invoice_paid" }>, "kind" | "purchase"> = {}, purchase = "main"): Step => ({ kind: "invoice_paid", purchase, ...extra });
export const invoiceFailed = (extra: Omit<Extract<Step, { kind: "invoice_failed" }>, "kind" | "purchase"> = {}, purchase = "main"): Step => ({ kind: "invoice_failed", purchase, ...extra });
export const invoicePaymentPaid = (extra: Omit<Extract<Step, { kind: "invoice_payment_paid" }>, "kind" | "purchase"> = {}, purchase = "main"): Step => ({
  kind: "invoice_payment_paid",
  purchase,
  ...extra,
});
export const refund = (extra: Omit<Extract<Step, { kind: "refund" }>, "kind" | "purchase"> = {}, purchase = "main"): Step => ({ kind: "refund", purchase, ...extra });
export const dispute = (extra: Omit<Extract<Step, { kind: "dispute" }>, "kind" | "purchase"> = {}, purchase = "main"): Step => ({ kind: "dispute", purchase, ...extra });
export const emailChanged = (email: string, at?: number, purchase = "main"): Step => ({ kind: "email_changed", purchase, email, at });
export const kitUnsubscribed = (email: string): Step => ({ kind: "kit_unsubscribed", email });
export const down = (provider: "circle" | "kit"): Step => ({ kind: "fault", provider, state: "down" });
/** The purchase's buyer accepts the Circle invitation they were sent (in Circle, no webhook). */
export const inviteAccepted = (purchase = "main"): Step => ({ kind: "invite_accepted", purchase });
export const up = (provider: "circle" | "kit"): Step => ({ kind: "fault", provider, state: "up" });
/**
 * The purchase's buyer asked the support chat for a person in an earlier conversation: the ticket
 * it opened (on their latest journey, as the chat's own tool would), before this conversation starts.
 */
export const earlierTicket = (category: TicketCategory, summary: string, purchase = "main"): Step => ({ kind: "ticket", purchase, category, summary });
export const settle = (until: Settle = "all"): Step => ({ kind: "settle", until });
/** Delivers an earlier history step's event again (same event id), as Stripe's retries do. */
export const redeliver = (step: number): Step => ({ kind: "redeliver", step });

export const DAY = 86_400;
