import type { LanguageModelV3, LanguageModelV3Content, LanguageModelV3Prompt, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { GetEntitlementOutput } from "../../tools/getEntitlement";
import type { OpenBillingTicketOutput } from "../../tools/openBillingTicket";
import type { ResendInviteOutput } from "../../tools/resendInvite";
import type { Intent } from "./intents";
import type { Language } from "./language";
import { classifier, type Classifier } from "./nlu/classifier";
import { REPLIES, type Replies, type TicketTopic } from "./nlu/replies";
import { chooseLanguage, understand, type Understanding } from "./nlu/understand";

// The built-in model for running with no network and no weights: it understands the customer's
// asks (NLP.js, ./nlu), one or several per message, in five languages, calls the same tools a
// hosted model would, and writes its answer, in the customer's language, only from what the
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

type Found = Extract<GetEntitlementOutput, { found: true }>;
type OpenTicket = Found["openTickets"][number];

interface UserTurn {
  text: string;
  index: number;
}

function userTurns(prompt: LanguageModelV3Prompt): UserTurn[] {
  const turns: UserTurn[] = [];
  prompt.forEach((message, index) => {
    if (message.role !== "user") return;
    turns.push({ text: message.content.map((part) => (part.type === "text" ? part.text : "")).join(" "), index });
  });
  return turns;
}

/** Tool results between two positions of the prompt: one turn's evidence. */
function resultsBetween(prompt: LanguageModelV3Prompt, after: number, before = prompt.length): TurnResults {
  const results: TurnResults = {};
  for (const message of prompt.slice(after + 1, before)) {
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      if (part.type !== "tool-result" || part.output.type !== "json") continue;
      (results as Record<string, unknown>)[part.toolName] = part.output.value;
    }
  }
  return results;
}

// Built once per language: toLocale*String builds a formatter on every call, a visible share of a turn's CPU.
interface DateFormats {
  short: Intl.DateTimeFormat;
  clock: Intl.DateTimeFormat;
  long: Intl.DateTimeFormat;
}
const formats = new Map<string, DateFormats>();
function datesFor(locale: string): DateFormats {
  let found = formats.get(locale);
  if (!found) {
    found = {
      short: new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }),
      clock: new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" }),
      long: new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }),
    };
    formats.set(locale, found);
  }
  return found;
}

/** The sentences of one reply, in one language, from one turn's tool results. */
class Writer {
  private readonly dates: DateFormats;
  constructor(readonly say: Replies) {
    this.dates = datesFor(say.locale);
  }

  when(iso: string): string {
    const date = new Date(iso);
    return this.say.at(this.dates.short.format(date), this.dates.clock.format(date));
  }

  day(iso: string): string {
    return this.dates.long.format(new Date(iso));
  }

  membership(view: Found): string {
    const m = this.say.membership;
    if (view.entitlements.length === 0) return m.none;
    const past = (iso: string | null) => iso !== null && new Date(iso).getTime() <= new Date(view.asOf).getTime();
    return view.entitlements
      .map((entitlement) => {
        const name = entitlement.planName;
        const until = entitlement.accessUntil ? this.day(entitlement.accessUntil) : null;
        switch (entitlement.status) {
          case "active":
            return m.active(name);
          case "trialing":
            return m.trialing(name);
          case "past_due":
            return past(entitlement.accessUntil) ? m.pastDueEnded(name, until!) : m.pastDue(name, until);
          case "canceled":
            return m.canceled(name, until);
          case "refunded":
            // The record folds disputes into "refunded" (both reverse the payment); the payment says which.
            return view.latestPayment?.status === "disputed" ? m.disputed(name) : m.refunded(name);
          case "expired":
            return m.expired(name);
          default:
            return m.other(name, entitlement.status);
        }
      })
      .join(" ");
  }

  access(view: Found): string {
    const a = this.say.access;
    if (view.access.length === 0) return a.none;
    return view.access
      .map((grant) => {
        switch (grant.state) {
          case "pending": {
            const work = view.pendingWork.find((item) => item.what === "community access");
            return a.pending(grant.group, work?.state === "retrying");
          }
          case "invited":
            return a.invited(grant.group, this.when(grant.since));
          case "active":
            return a.active(grant.group);
          case "revoked":
            return a.revoked(grant.group);
          case "failed":
            return a.failed(grant.group, grant.problem ?? null);
          default:
            return a.other(grant.group, grant.state);
        }
      })
      .join(" ");
  }

  payment(view: Found): string {
    const p = this.say.payment;
    if (!view.latestPayment) return view.entitlements.some((entitlement) => entitlement.status === "trialing") ? p.noneOnTrial : p.none;
    const { status, at } = view.latestPayment;
    const when = this.when(at);
    if (status === "paid") return p.paid(when);
    if (status === "failed") return p.failed(when);
    if (status === "refunded") return p.refunded(when);
    if (status === "disputed") return p.disputed(when);
    return p.other(status, when);
  }

  ticket(ticket: OpenBillingTicketOutput): string {
    const t = this.say.ticket;
    return ticket.created ? t.created(ticket.reference) : ticket.reopened ? t.reopened(ticket.reference) : t.existing(ticket.reference);
  }

  openTicket(ticket: OpenTicket): string {
    const topic = this.say.topics[ticket.category as TicketTopic] ?? this.say.topics.other;
    return this.say.openTicket(ticket.reference, topic, this.when(ticket.openedAt), ticket.status === "pending");
  }

  /** Asked after a ticket: what the record says of the open ones; another is not opened. */
  tickets(view: GetEntitlementOutput): string {
    if (view.openTickets.length === 0) return view.found ? this.say.noOpenTickets : `${this.say.noRecord} ${this.say.noRecordTickets}`;
    return `${view.openTickets.map((ticket) => this.openTicket(ticket)).join(" ")} ${this.say.noNeedForAnother}`;
  }

  resend(outcome: ResendInviteOutput): string {
    const r = this.say.resend;
    const reason = (text: string) => this.say.reasons[text] ?? text;
    if (outcome.result === "queued") return r.queued;
    if (outcome.result === "already_queued") return r.alreadyQueued(reason(outcome.reason));
    if (outcome.result === "already_active") return r.alreadyActive;
    return r.cannot(reason(outcome.reason));
  }
}

/** Asks that need a person: each opens (or adds to) a ticket. */
const HANDOFFS: ReadonlySet<Intent> = new Set(["human", "refund", "cancel", "wrongEmail"]);

/** One ticket per message, in the category of its most specific ask. */
function ticketCategory(asks: Intent[]): TicketTopic {
  if (asks.includes("refund")) return "refund";
  if (asks.includes("cancel")) return "cancellation";
  if (asks.includes("wrongEmail") || asks.includes("access") || asks.includes("resend")) return "access";
  if (asks.includes("billing")) return "billing";
  return "other";
}

/**
 * What "yes" / "do it" agrees to: the one thing the previous reply offered, worked out from that
 * turn's asks and tool results (the same facts that wrote the offer), not from its wording.
 */
function offered(previousAsks: Intent[], previous: TurnResults): Intent | null {
  const view = previous.getEntitlement;
  if (view && !view.found) return "wrongEmail";
  if (previousAsks.includes("unknown")) return "human";
  if (previousAsks.includes("ticket") && view?.found && view.openTickets.length === 0) return "human";
  if (previousAsks.includes("access") && view?.found && view.access.some((grant) => grant.state === "invited")) return "resend";
  return null;
}

interface Plan {
  asks: Intent[];
  /** The customer's words for a ticket. */
  summary: string;
  say: Replies;
}

function planFrom({ asks, summary, say }: Plan, results: TurnResults): Step {
  const write = new Writer(say);
  if (asks.includes("injection")) return { kind: "say", text: say.refusal };
  if (asks.length === 1 && asks[0] === "greeting") return { kind: "say", text: say.greeting };
  if (asks.length === 1 && asks[0] === "unknown") return { kind: "say", text: say.clarify };
  if (asks.length === 1 && asks[0] === "affirm") return { kind: "say", text: say.nothingToConfirm };

  const view = results.getEntitlement;
  const onlyResend = asks.every((ask) => ask === "resend");
  const calls: ToolCall[] = [];
  if (!view && !onlyResend) calls.push({ toolName: "getEntitlement", input: {} });
  if (asks.includes("resend") && !results.resendInvite) calls.push({ toolName: "resendInvite", input: {} });
  if (calls.length > 0) return { kind: "call", calls };

  // A side effect that failed is a person's job: escalate it without being asked, unless the
  // access ticket is open already (the system opens one when the grant dead-letters).
  const asksAboutAccount = asks.includes("access") || asks.includes("billing");
  const failed = view?.found === true && view.access.some((grant) => grant.state === "failed");
  const accessTicket = view?.found ? view.openTickets.find((ticket) => ticket.category === "access") : undefined;
  // Another address only needs linking when this one has no purchase; otherwise the record answers.
  const handoff = asks.some((ask) => HANDOFFS.has(ask) && !(ask === "wrongEmail" && view?.found));
  const escalate = asksAboutAccount && failed && !accessTicket;
  if ((handoff || escalate) && !results.openBillingTicket) {
    const ticketSummary = !handoff && escalate ? `Community access failed to set up. Customer wrote: ${summary}` : summary;
    return { kind: "call", calls: [{ toolName: "openBillingTicket", input: { category: handoff ? ticketCategory(asks) : "access", summary: ticketSummary } }] };
  }

  const parts: string[] = [];
  const leads = asks.flatMap((ask) => (ask === "refund" ? [say.leads.refund] : ask === "cancel" ? [say.leads.cancel] : ask === "wrongEmail" ? [say.leads.wrongEmail] : []));
  if (handoff) parts.push(...(leads.length > 0 ? leads : [say.leads.human]));
  if (view && !view.found) {
    if (!asks.includes("wrongEmail")) parts.push(asks.includes("ticket") ? write.tickets(view) : say.noRecord);
  } else if (view) {
    if (asks.includes("ticket")) parts.push(write.tickets(view));
    // A resend's outcome says where the invite stands, so the access state is not told twice.
    if (asks.includes("access") && !results.resendInvite) parts.push(write.payment(view), write.membership(view), write.access(view));
    else if (asks.includes("billing") || asks.includes("access") || asks.includes("wrongEmail")) parts.push(write.payment(view), write.membership(view));
    else if (handoff) parts.push(write.membership(view));
  }
  if (results.resendInvite) parts.push(write.resend(results.resendInvite));
  if (results.openBillingTicket) parts.push(write.ticket(results.openBillingTicket));
  else if (asksAboutAccount && failed && accessTicket) parts.push(`${say.alreadyInHand} ${write.openTicket(accessTicket)}`);
  return { kind: "say", text: parts.join(" ") };
}

// A turn plans up to three steps (look up, act, answer), each from the same customer message:
// understanding it once per message and language is enough. Bounded, oldest dropped first.
const UNDERSTOOD_KEPT = 512;
const understood = new Map<string, Promise<Understanding>>();
function understandOnce(nlu: Classifier, text: string, conversationLanguage: Language | undefined): Promise<Understanding> {
  const key = `${conversationLanguage ?? ""}\u0000${text}`;
  let found = understood.get(key);
  if (!found) {
    found = understand(nlu, text, conversationLanguage);
    understood.set(key, found);
    if (understood.size > UNDERSTOOD_KEPT) understood.delete(understood.keys().next().value!);
  }
  return found;
}

/** The conversation's language before a message: each earlier message long enough to tell sets it. */
function languageBefore(nlu: Classifier, turns: UserTurn[]): Language | undefined {
  let language: Language | undefined;
  for (const turn of turns) if (/\p{L}/u.test(turn.text)) language = chooseLanguage(nlu, turn.text, language);
  return language;
}

/** The next step of the turn, from the conversation so far (pure given the trained classifier). */
export async function planStep(prompt: LanguageModelV3Prompt): Promise<Step> {
  const nlu = await classifier();
  const turns = userTurns(prompt);
  const current = turns.at(-1) ?? { text: "", index: -1 };
  const earlier = turns.slice(0, -1);
  const message = await understandOnce(nlu, current.text, languageBefore(nlu, earlier));
  let asks = message.asks;
  let summary = current.text.trim().slice(0, 480) || "Customer asked for help in the chat";

  const previous = earlier.at(-1);
  if (asks.length === 1 && asks[0] === "affirm" && previous) {
    const before = await understandOnce(nlu, previous.text, languageBefore(nlu, earlier.slice(0, -1)));
    const agreedTo = offered(before.asks, resultsBetween(prompt, previous.index, current.index));
    if (agreedTo) {
      asks = [agreedTo];
      summary = previous.text.trim().slice(0, 480) || summary;
    }
  }
  return planFrom({ asks, summary, say: REPLIES[message.language] }, resultsBetween(prompt, current.index));
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
    modelId: "offline-nlu-v2",
    supportedUrls: {},
    async doGenerate(options) {
      const step = await planStep(options.prompt);
      return {
        content: content(step),
        finishReason: { unified: step.kind === "say" ? "stop" : "tool-calls", raw: undefined },
        usage,
        warnings: [],
      };
    },
    async doStream(options) {
      const step = await planStep(options.prompt);
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
