import { LANGUAGE_NAMES, LANGUAGES, type Language } from "../../lib/chat/language";
import type { Intent } from "../../lib/chat/nlu/labels";
import type { TicketCategory } from "../../lib/support/tickets";
import { CLAIM, FACT } from "../facts";
import type { StateChangingTool } from "../procedure";
import { checkout, DAY, earlierTicket, type Claim, type EndState, type Fact, type PurchaseSpec, type Scenario, type Step, type TicketState, type Turn } from "../scenario";
import { EVAL_UTTERANCES, type EvalUtterance } from "../utterances";
import { community, EMAIL, INTENTS as MATRIX_POLICIES, NEWCOMER, noAccessClaim, SETUPS, stateSpecificClaims, type Setup } from "./matrix";

// Customers' own voices: every held-out, labeled sentence of evals/utterances (five languages,
// five styles, the classifier never trains on them) put in a customer's mouth, in a conversation
// whose record makes the ask's answer meaningful. Generated from data: per intent, the records it
// is asked on and the policy for what the reply must and must not say, what the customer asked
// to be done (procedure) and how the record ends; the policies of the records the matrix
// crosses (./matrix) are reused, not restated.
//
// Two sentences of one intent and language share a conversation (the customer asks again, as
// people do), so the record's history, most of a trial's cost, is played once for both; asking
// again has its own well-defined outcome: a ticket gets a note instead of a twin, a resend is
// told the invite is on its way. "Yes, do it" needs an offer before it: its conversations open
// with a sentence of the intent whose answer makes that offer.

/** A record a conversation starts from. */
interface Start {
  label: string;
  purchases: Record<string, PurchaseSpec>;
  identity?: string;
  history: Step[];
  /** How the database ends when the conversation changes nothing. */
  unchanged: EndState;
  /** The journey a ticket the chat opens now belongs to (null: no record under the signed-in address). */
  journey: string | null;
  /** The matrix setup the chat sees, whose answers apply here. */
  seenAs: Setup;
}

/** What one customer message must get, and what it changes. */
interface Plan {
  must: Fact[];
  mustNot: Claim[];
  /** The state-changing actions the message asks for (procedure). */
  asks: StateChangingTool[];
  /** The ticket the message opens (or, asked again, adds a note to). */
  ticket?: TicketCategory;
  /** The message queues a resend: the grants it leaves pending. */
  resend?: EndState["access"];
}

const fromSetup = (setup: Setup): Start => ({
  label: setup.label,
  purchases: setup.purchases,
  identity: setup.status === "none" ? NEWCOMER : undefined,
  history: setup.history,
  unchanged: {
    customers: setup.status === "none" ? 0 : 1,
    entitlements: setup.entitlements,
    access: setup.grants,
    tickets: setup.systemTickets ?? [],
    circle: setup.inCircle ? [{ plan: "community_monthly", email: EMAIL }] : [],
    conversationJobs: {},
  },
  journey: setup.journey,
  seenAs: setup,
});

const setup = (key: string): Setup => {
  const found = SETUPS.find((candidate) => candidate.key === key);
  if (!found) throw new Error(`voices: the matrix has no setup ${key}`);
  return found;
};

/** A matrix setup in which the customer asked the chat for a person in an earlier conversation. */
function withEarlierTicket(base: Setup, category: TicketCategory, summary: string): Start {
  const start = fromSetup(base);
  const ticket: TicketState = { category, status: "open", journey: base.journey, source: "chat", notes: 0 };
  return {
    ...start,
    label: `${base.label}; asked the chat for a person earlier (${category})`,
    history: [...base.history, earlierTicket(category, summary)],
    unchanged: { ...start.unchanged, tickets: [...start.unchanged.tickets, ticket] },
  };
}

const INVITED = setup("active-invited");

/** Paid under another address than the one signed in to the chat: the signed-in address has no record. */
const PAID_ELSEWHERE: Start = {
  label: "paid a day ago under a work address, signed in to the chat with a personal one",
  purchases: { main: { email: "sam.work@example.com", boughtAgo: DAY } },
  identity: EMAIL,
  history: [checkout()],
  unchanged: {
    customers: 1,
    entitlements: [{ plan: "community_monthly", status: "active" }],
    access: community("invited"),
    tickets: [],
    circle: [{ plan: "community_monthly", email: "sam.work@example.com" }],
    conversationJobs: {},
  },
  journey: null,
  // The chat sees no record under the signed-in address.
  seenAs: setup("no-record"),
};

/** The records a ticket's status is asked about: each holds an open ticket, opened by the system or by an earlier chat. */
const WITH_TICKET: Start[] = [
  fromSetup(setup("active-failed")),
  fromSetup(setup("past-due-lapsed")),
  withEarlierTicket(INVITED, "other", "Customer asked for a person to look at their purchase"),
  withEarlierTicket(setup("canceled-until-period-end"), "refund", "Customer asked for a refund of their last payment"),
];

const TICKET_TOOL: StateChangingTool[] = ["openBillingTicket"];
const RESEND_TOOL: StateChangingTool[] = ["resendInvite"];

/** The matrix's policy for an ask on one of its setups, with what the customer asked to be done. */
function matrixPlan(key: string, base: Setup, asks: StateChangingTool[]): Plan {
  const policy = MATRIX_POLICIES.find((candidate) => candidate.key === key);
  if (!policy) throw new Error(`voices: the matrix has no policy for ${key}`);
  const outcome = policy.expect(base);
  return {
    must: outcome.must,
    mustNot: outcome.mustNot,
    asks,
    ...(outcome.ticket ? { ticket: outcome.ticket.category as TicketCategory } : {}),
    ...(outcome.jobs?.["circle.grant"] ? { resend: outcome.grantsAfter } : {}),
  };
}

/** How one intent is asked: on which records, and what a reply must do there. */
interface IntentTemplate {
  starts: Start[];
  plan(start: Start): Plan;
}

const allSetups = (keep: (setup: Setup) => boolean = () => true) => SETUPS.filter(keep).map(fromSetup);
const fromMatrix = (key: string, asks: StateChangingTool[], keep?: (setup: Setup) => boolean): IntentTemplate => ({
  starts: allSetups(keep),
  plan: (start) => matrixPlan(key, start.seenAs, asks),
});

const TEMPLATES: Record<Exclude<Intent, "affirm">, IntentTemplate> = {
  access: fromMatrix("access", []),
  billing: fromMatrix("billing", []),
  resend: fromMatrix("resend", RESEND_TOOL),
  // A refund asked for after the purchase was refunded, or a cancellation of what already ended, is not a meaningful ask.
  refund: fromMatrix("refund", TICKET_TOOL, (candidate) => candidate.status !== "refunded"),
  cancel: fromMatrix("cancel", TICKET_TOOL, (candidate) => !["expired", "refunded", "disputed"].includes(candidate.status)),
  human: fromMatrix("human", TICKET_TOOL),
  unknown: fromMatrix("out-of-scope", []),
  injection: fromMatrix("injection", []),
  greeting: {
    // Hello and thank-you are both greetings to the classifier: either is answered in kind.
    starts: allSetups(),
    plan: (start) => ({ must: [FACT.courtesy], mustNot: [...noAccessClaim(start.seenAs), CLAIM.ticketOpened], asks: [] }),
  },
  ticket: {
    // Asked after a ticket that exists: its reference, and no second ticket.
    starts: WITH_TICKET,
    plan: (start) => ({ must: [FACT.ticketReference], mustNot: stateSpecificClaims(start.seenAs), asks: [] }),
  },
  wrongEmail: {
    // The team links the purchase: a ticket on the signed-in address, which has no record of its own.
    starts: [PAID_ELSEWHERE],
    plan: () => ({ must: [FACT.ticketReference, FACT.offerHuman], mustNot: [CLAIM.hasAccess, CLAIM.paymentOk], asks: TICKET_TOOL, ticket: "access" }),
  },
};

/** The same ask again in the same conversation. */
function again(first: Plan): Plan {
  if (first.ticket) return { ...first, must: [FACT.existingTicket, FACT.ticketReference] };
  if (first.resend) return { must: [FACT.alreadyOnItsWay], mustNot: [CLAIM.resent, ...first.mustNot], asks: first.asks };
  return first;
}

/** Sentences with two asks, on a paid member whose invitation went out: one reply does both. */
const TWO_ASKS: Record<string, Plan> = {
  "billing+resend": { must: [FACT.resentNow, FACT.paymentWentThrough], mustNot: [CLAIM.hasAccess], asks: RESEND_TOOL, resend: community("pending") },
  // One ticket per message, in the category of its most specific ask.
  "billing+human": { must: [FACT.paymentWentThrough, FACT.ticketReference], mustNot: [CLAIM.hasAccess, CLAIM.refundPromised], asks: TICKET_TOOL, ticket: "billing" },
  "cancel+refund": { must: [FACT.cannotRefund, FACT.cannotCancel, FACT.ticketReference], mustNot: [CLAIM.hasAccess, CLAIM.refundPromised], asks: TICKET_TOOL, ticket: "refund" },
  "human+refund": { must: [FACT.cannotRefund, FACT.ticketReference], mustNot: [CLAIM.hasAccess, CLAIM.refundPromised], asks: TICKET_TOOL, ticket: "refund" },
};

/** "Yes, do it" after an answer that offered one thing: the opener's intent, where it is asked, and what the yes gets. */
interface AffirmTemplate {
  offer: string;
  opener: Exclude<Intent, "affirm">;
  start: Start;
  yes: Plan;
}
const AFFIRMS: AffirmTemplate[] = [
  {
    offer: "to send the invitation again",
    opener: "access",
    start: fromSetup(INVITED),
    yes: { must: [FACT.resentNow], mustNot: [CLAIM.hasAccess], asks: RESEND_TOOL, resend: community("pending") },
  },
  {
    offer: "to pass an out-of-scope question to a person",
    opener: "unknown",
    start: fromSetup(INVITED),
    yes: { must: [FACT.ticketReference], mustNot: [CLAIM.hasAccess], asks: TICKET_TOOL, ticket: "other" },
  },
  {
    offer: "to have the team link a purchase made under another address",
    opener: "billing",
    start: PAID_ELSEWHERE,
    yes: { must: [FACT.ticketReference], mustNot: [CLAIM.hasAccess, CLAIM.paymentOk], asks: TICKET_TOOL, ticket: "access" },
  },
];

/** A conversation's turns and end state from its start and each message's plan. */
function conversation(start: Start, messages: Array<{ sentence: EvalUtterance; plan: Plan }>): Pick<Scenario, "turns" | "expect"> {
  const tickets = start.unchanged.tickets.map((ticket) => ({ ...ticket }));
  const jobs: Record<string, number> = {};
  let access = start.unchanged.access;
  const turns: Turn[] = messages.map(({ sentence, plan }) => {
    if (plan.ticket) {
      // One ticket per journey and category, whoever opened it: asking again adds a note.
      const open = tickets.find((ticket) => ticket.category === plan.ticket && ticket.journey === start.journey);
      if (open) open.notes += 1;
      else tickets.push({ category: plan.ticket, status: "open", journey: start.journey, source: "chat", notes: 0 });
    }
    if (plan.resend) {
      jobs["circle.grant"] = (jobs["circle.grant"] ?? 0) + 1;
      access = plan.resend;
    }
    return { say: sentence.text, must: plan.must, mustNot: plan.mustNot, asks: plan.asks };
  });
  return { turns, expect: { ...start.unchanged, access, tickets, conversationJobs: jobs } };
}

const pick = <T>(list: readonly T[], index: number): T => list[index % list.length]!;
const chunks = <T>(list: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(list.length / size) }, (_, index) => list.slice(index * size, index * size + size));
const singleAsk = (sentences: readonly EvalUtterance[], intent: Intent) => sentences.filter((sentence) => sentence.intents.length === 1 && sentence.intents[0] === intent);
const styles = (sentences: EvalUtterance[]) => [...new Set(sentences.map((sentence) => sentence.style))].join(", ");

/** Which of the records an intent is asked on a conversation gets: languages and intents start at different places, so together they cover them all. */
const rotation = (language: Language, intentIndex: number, conversationIndex: number) => LANGUAGES.indexOf(language) * 3 + intentIndex + conversationIndex;

function voicesOf(language: Language): Scenario[] {
  const sentences = EVAL_UTTERANCES[language];
  const category = `voices: ${LANGUAGE_NAMES[language]}`;
  const scenario = (id: string, start: Start, asked: string, messages: Array<{ sentence: EvalUtterance; plan: Plan }>): Scenario => ({
    id: `${language}--${id}`,
    category,
    description: `${start.label}; ${asked} (${styles(messages.map((message) => message.sentence))})`,
    purchases: start.purchases,
    ...(start.identity ? { identity: start.identity } : {}),
    history: start.history,
    ...conversation(start, messages),
  });

  const repeated = (Object.keys(TEMPLATES) as Array<keyof typeof TEMPLATES>).flatMap((intent, intentIndex) => {
    const template = TEMPLATES[intent];
    return chunks(singleAsk(sentences, intent), 2).map((pair, index) => {
      const start = pick(template.starts, rotation(language, intentIndex, index));
      const first = template.plan(start);
      const messages = pair.map((sentence, turn) => ({ sentence, plan: turn === 0 ? first : again(first) }));
      return scenario(`${intent}--${index + 1}`, start, `asks ${intent}${pair.length > 1 ? ", twice" : ""}`, messages);
    });
  });

  const seenPairs = new Map<string, number>();
  const twoAsks = sentences
    .filter((sentence) => sentence.intents.length > 1)
    .map((sentence) => {
      const key = [...sentence.intents].sort().join("+");
      const plan = TWO_ASKS[key];
      if (!plan) throw new Error(`voices: no policy for a sentence asking ${key} (${language}: ${sentence.text})`);
      const index = (seenPairs.get(key) ?? 0) + 1;
      seenPairs.set(key, index);
      return scenario(`${key.replace("+", "-and-")}--${index}`, fromSetup(INVITED), `asks ${key.replace("+", " and ")} at once`, [{ sentence, plan }]);
    });

  const affirms = singleAsk(sentences, "affirm").map((yes, index) => {
    const template = pick(AFFIRMS, index);
    const opener = pick(singleAsk(sentences, template.opener), index);
    return scenario(`affirm--${index + 1}`, template.start, `asks ${template.opener}, then accepts the offer ${template.offer}`, [
      { sentence: opener, plan: TEMPLATES[template.opener].plan(template.start) },
      { sentence: yes, plan: template.yes },
    ]);
  });

  return [...repeated, ...twoAsks, ...affirms];
}

export const voiceScenarios: Scenario[] = LANGUAGES.flatMap(voicesOf);
