import type { LanguageModelV3, LanguageModelV3Content, LanguageModelV3Prompt, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { GetEntitlementOutput } from "../../tools/getEntitlement";
import type { OpenBillingTicketOutput } from "../../tools/openBillingTicket";
import type { ResendInviteOutput } from "../../tools/resendInvite";
import { classify, type Intent } from "./intents";

// The built-in model for running with no network and no weights: it recognises the supported
// intents, calls the same tools a hosted model would, and writes its answer only from what the
// tools returned. Deterministic: the same conversation always gets the same reply.

type ToolName = "getEntitlement" | "resendInvite" | "openBillingTicket";
interface ToolCall {
  toolName: ToolName;
  input: Record<string, unknown>;
}
export type Step = { kind: "call"; calls: ToolCall[] } | { kind: "say"; text: string };

interface TurnResults {
  getEntitlement?: GetEntitlementOutput;
  resendInvite?: ResendInviteOutput;
  openBillingTicket?: OpenBillingTicketOutput;
}

// Built once: toLocale*String builds a formatter on every call, a visible share of a turn's CPU.
const shortDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const clockTime = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
const longDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const when = (iso: string) => `${shortDate.format(new Date(iso))} at ${clockTime.format(new Date(iso))} UTC`;
const day = (iso: string) => longDate.format(new Date(iso));

const OFFER = "I can check your membership, your community access and invites, and your payments, or pass you to a person.";
const NO_RECORD =
  "I can't find a purchase linked to the email address you're signed in with. If you paid with a different address, I can pass this to our team so they can match it.";

function lastUserText(prompt: LanguageModelV3Prompt): { text: string; index: number } {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i]!;
    if (message.role === "user") {
      const text = message.content.map((part) => (part.type === "text" ? part.text : "")).join(" ");
      return { text, index: i };
    }
  }
  return { text: "", index: -1 };
}

/** Tool results that arrived after the customer's latest message: this turn's evidence. */
function turnResults(prompt: LanguageModelV3Prompt, after: number): TurnResults {
  const results: TurnResults = {};
  for (const message of prompt.slice(after + 1)) {
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      if (part.type !== "tool-result" || part.output.type !== "json") continue;
      (results as Record<string, unknown>)[part.toolName] = part.output.value;
    }
  }
  return results;
}

function describeMembership(view: Extract<GetEntitlementOutput, { found: true }>): string {
  if (view.entitlements.length === 0) return "I can see your account, but no membership on it yet.";
  const past = (iso: string | null) => iso !== null && new Date(iso).getTime() <= new Date(view.asOf).getTime();
  return view.entitlements
    .map((entitlement) => {
      const name = entitlement.planName;
      switch (entitlement.status) {
        case "active":
          return `Your ${name} membership is active.`;
        case "trialing":
          return `Your ${name} membership is in its trial.`;
        case "past_due":
          if (past(entitlement.accessUntil)) {
            return `The last payment for ${name} failed and the retry window ended on ${day(entitlement.accessUntil!)}, so its access has ended. Updating your card and paying the open invoice will restore it.`;
          }
          return `The last payment for ${name} failed${entitlement.accessUntil ? `; you keep access until ${day(entitlement.accessUntil)} while the card is retried` : ""}. Updating your card will fix it.`;
        case "canceled":
          return `Your ${name} membership is canceled${entitlement.accessUntil ? ` and ends on ${day(entitlement.accessUntil)}` : ""}; you keep access until then.`;
        case "refunded":
          // The record folds disputes into "refunded" (both reverse the payment); the payment says which.
          return view.latestPayment?.status === "disputed"
            ? `Your payment for ${name} is disputed with your bank, so its access has ended while the dispute is open.`
            : `Your ${name} purchase was refunded, so its access has ended.`;
        case "expired":
          return `Your ${name} membership has ended.`;
        default:
          return `Your ${name} membership status is ${entitlement.status}.`;
      }
    })
    .join(" ");
}

function describeAccess(view: Extract<GetEntitlementOutput, { found: true }>): string {
  if (view.access.length === 0) return "There is no community access on your account.";
  return view.access
    .map((grant) => {
      switch (grant.state) {
        case "pending": {
          const work = view.pendingWork.find((item) => item.what === "community access");
          return `Your access to the ${grant.group} is being set up: the invite is ${work?.state === "retrying" ? "being retried" : "queued"} and should arrive within a few minutes.`;
        }
        case "invited":
          return `An invitation to the ${grant.group} was sent on ${when(grant.since)} to the email address of your purchase. Please check your spam folder; I can send it again if you need.`;
        case "active":
          return `You have access to the ${grant.group}.`;
        case "revoked":
          return `Your access to the ${grant.group} has ended.`;
        case "failed":
          return `Setting up your access to the ${grant.group} has not worked: ${grant.problem ?? "it failed"}.`;
        default:
          return `Your access to the ${grant.group} is ${grant.state}.`;
      }
    })
    .join(" ");
}

function describePayment(view: Extract<GetEntitlementOutput, { found: true }>): string {
  if (!view.latestPayment) {
    return view.entitlements.some((entitlement) => entitlement.status === "trialing")
      ? "You haven't been charged anything yet: you're on a free trial."
      : "I don't see a payment on your account yet.";
  }
  const { status, at } = view.latestPayment;
  if (status === "paid") return `Your latest payment went through on ${when(at)}.`;
  if (status === "failed") return `Your latest payment failed on ${when(at)}.`;
  if (status === "refunded") return `Your latest payment was refunded (recorded ${when(at)}).`;
  if (status === "disputed") return `Your latest payment is disputed with your bank (recorded ${when(at)}).`;
  return `Your latest payment is ${status} (${when(at)}).`;
}

const ticketLine = (ticket: OpenBillingTicketOutput) =>
  ticket.created
    ? `I've passed this to our team: your ticket is ${ticket.reference}. A person will reply here in this chat.`
    : ticket.reopened
      ? `I've reopened your earlier ticket for this (${ticket.reference}) and added your message to it. A person will reply here in this chat.`
      : `You already have a ticket open for this (${ticket.reference}); I've added your message to it.`;

type OpenTicket = Extract<GetEntitlementOutput, { found: true }>["openTickets"][number];

const TICKET_TOPICS: Record<string, string> = {
  billing: "billing",
  access: "community access",
  refund: "a refund",
  cancellation: "a cancellation",
  other: "your question",
};

/** A ticket that exists, as the customer asking after it needs to hear it. */
const openTicketLine = (ticket: OpenTicket) =>
  `Your ticket ${ticket.reference} about ${TICKET_TOPICS[ticket.category] ?? "your question"}, opened on ${when(ticket.openedAt)}, is ${
    ticket.status === "pending" ? "waiting for your reply: our team has answered it" : "open: it's with our team, and a person will reply here in this chat"
  }.`;

/** Asked after a ticket: what the record says of the open ones; another is not opened. */
function describeTickets(view: GetEntitlementOutput): string {
  if (!view.found) return `${NO_RECORD} I can't see tickets on an account I can't find.`;
  if (view.openTickets.length === 0) return "You have no open ticket with us right now. Would you like me to pass your question to a person?";
  return `${view.openTickets.map(openTicketLine).join(" ")} There's no need to open another one.`;
}

function categoryFor(intent: Intent): "billing" | "access" | "refund" | "cancellation" | "other" {
  if (intent === "refund") return "refund";
  if (intent === "cancel") return "cancellation";
  if (intent === "access" || intent === "resend") return "access";
  if (intent === "billing") return "billing";
  return "other";
}

/** Pure: the next step of the turn, from the conversation so far. */
export function planStep(prompt: LanguageModelV3Prompt): Step {
  const { text, index } = lastUserText(prompt);
  const intent = classify(text);
  const results = turnResults(prompt, index);
  const view = results.getEntitlement;
  const summary = text.trim().slice(0, 480) || "Customer asked for help in the chat";

  switch (intent) {
    case "injection":
      return {
        kind: "say",
        text: "I can only look at the account you're signed in with, and only say what it shows. I can't change these rules, share other customers' details, or grant access that hasn't been paid for. " + OFFER,
      };
    case "greeting":
      return { kind: "say", text: `Hi! ${OFFER}` };
    case "ticket":
      if (!view) return { kind: "call", calls: [{ toolName: "getEntitlement", input: {} }] };
      return { kind: "say", text: describeTickets(view) };
    case "unknown":
      return { kind: "say", text: `I'm not sure I understood that. ${OFFER} Would you like me to pass your question to a person?` };
    case "human":
    case "refund":
    case "cancel": {
      if (!view) return { kind: "call", calls: [{ toolName: "getEntitlement", input: {} }] };
      if (!results.openBillingTicket) {
        return { kind: "call", calls: [{ toolName: "openBillingTicket", input: { category: categoryFor(intent), summary } }] };
      }
      const status = view.found ? describeMembership(view) : NO_RECORD;
      const lead =
        intent === "refund"
          ? "I can't issue refunds myself; a person decides on them."
          : intent === "cancel"
            ? "I can't change your membership myself."
            : "Of course.";
      return { kind: "say", text: `${lead} ${status} ${ticketLine(results.openBillingTicket)}` };
    }
    case "resend": {
      if (!results.resendInvite) return { kind: "call", calls: [{ toolName: "resendInvite", input: {} }] };
      const outcome = results.resendInvite;
      if (outcome.result === "queued") {
        return { kind: "say", text: "Done: I've asked for your community invitation to be sent again. It should arrive within a few minutes at the email address you're signed in with." };
      }
      if (outcome.result === "already_queued") return { kind: "say", text: `I didn't send another one: ${outcome.reason}. Please give it a few minutes and check your spam folder.` };
      if (outcome.result === "already_active") return { kind: "say", text: "Your community access is already active, so there's no invite to resend: you can sign in to the community directly." };
      return { kind: "say", text: `I can't resend an invite: ${outcome.reason}. ${OFFER}` };
    }
    case "access":
    case "billing": {
      if (!view) return { kind: "call", calls: [{ toolName: "getEntitlement", input: {} }] };
      if (!view.found) return { kind: "say", text: NO_RECORD };
      // A side effect that failed is a person's job: escalate it without being asked, unless
      // the access ticket is open already (the system opens one when the grant dead-letters).
      const failed = view.access.some((grant) => grant.state === "failed");
      const accessTicket = view.openTickets.find((ticket) => ticket.category === "access");
      if (failed && !accessTicket && !results.openBillingTicket) {
        return { kind: "call", calls: [{ toolName: "openBillingTicket", input: { category: "access", summary: `Community access failed to set up. Customer wrote: ${summary}` } }] };
      }
      const parts = intent === "access" ? [describePayment(view), describeMembership(view), describeAccess(view)] : [describePayment(view), describeMembership(view)];
      if (results.openBillingTicket) parts.push(ticketLine(results.openBillingTicket));
      else if (failed && accessTicket) parts.push(`Our team already has this in hand. ${openTicketLine(accessTicket)}`);
      return { kind: "say", text: parts.join(" ") };
    }
  }
}

const usage = { inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 0, text: 0, reasoning: 0 } };

let callCounter = 0;
const toolCallId = () => `offline_call_${(callCounter++).toString(36)}`;

function content(step: Step): LanguageModelV3Content[] {
  if (step.kind === "say") return [{ type: "text", text: step.text }];
  return step.calls.map((call) => ({ type: "tool-call", toolCallId: toolCallId(), toolName: call.toolName, input: JSON.stringify(call.input) }));
}

export function createOfflineModel(): LanguageModelV3 {
  return {
    specificationVersion: "v3",
    provider: "entitled",
    modelId: "offline-intents-v1",
    supportedUrls: {},
    async doGenerate(options) {
      const step = planStep(options.prompt);
      return {
        content: content(step),
        finishReason: { unified: step.kind === "say" ? "stop" : "tool-calls", raw: undefined },
        usage,
        warnings: [],
      };
    },
    async doStream(options) {
      const step = planStep(options.prompt);
      const parts: LanguageModelV3StreamPart[] = [{ type: "stream-start", warnings: [] }];
      if (step.kind === "say") {
        parts.push({ type: "text-start", id: "t0" });
        // Sentence by sentence: the widget still streams, with a few chunks rather than one per word.
        for (const sentence of step.text.match(/[^.!?]*[.!?]+\s*|[^.!?]+$/g) ?? [step.text]) parts.push({ type: "text-delta", id: "t0", delta: sentence });
        parts.push({ type: "text-end", id: "t0" });
      } else {
        for (const part of content(step)) if (part.type === "tool-call") parts.push(part);
      }
      parts.push({ type: "finish", usage, finishReason: { unified: step.kind === "say" ? "stop" : "tool-calls", raw: undefined } });
      return {
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}
