import type { Claim, Fact, ScoreContext } from "../scenario";
import { analyze, findConcept, type Analysis, type ConceptMatch, type Mood } from "./analyze";
import { namesDay } from "./dates";
import type { Concept } from "./lexicon";
import { SCORER_LANGUAGES, type ScorerLanguage } from "./normalize";

// Facts and claims as rules over what a reply says (analyze.ts), not over its exact words.
// A rule returns its evidence (the words that satisfy it) or null.

export interface Evidence {
  text: string;
}
export type Rule = (analysis: Analysis, context: ScoreContext) => Evidence | null;

const evidence = (analysis: Analysis, match: Pick<ConceptMatch, "start" | "end">): Evidence => ({ text: analysis.words.slice(match.start, match.end).join(" ") });

/** The concept said in one of these moods (asserted by default). */
export const said =
  (concept: Concept, moods: readonly Mood[] = ["asserted"]): Rule =>
  (analysis) => {
    const match = findConcept(analysis, concept).find((candidate) => moods.includes(candidate.mood));
    return match ? evidence(analysis, match) : null;
  };

/**
 * The concept said, in a sentence that does not also assert `unlessSaid` ("an invite was resent
 * ten minutes ago, so I didn't send another" reports an earlier resend, not one made now).
 */
export const saidUnless =
  (concept: Concept, moods: readonly Mood[], unlessSaid: Concept): Rule =>
  (analysis) => {
    const blocked = new Set(findConcept(analysis, unlessSaid).filter((match) => match.mood === "asserted").map((match) => match.sentence));
    const match = findConcept(analysis, concept).find((candidate) => moods.includes(candidate.mood) && !blocked.has(candidate.sentence));
    return match ? evidence(analysis, match) : null;
  };

/** The concept said and denied ("did not go through", "I can't issue refunds"). */
export const denied = (concept: Concept): Rule => said(concept, ["negated"]);

export const anyOf =
  (...rules: Rule[]): Rule =>
  (analysis, context) => {
    for (const rule of rules) {
      const found = rule(analysis, context);
      if (found) return found;
    }
    return null;
  };

/** A ticket reference; when the record's references are known, one of them. */
export const ticketReference: Rule = (analysis, context) => {
  const known = context.ticketReferences?.map((reference) => reference.toUpperCase());
  const reference = analysis.tickets.find((candidate) => !known || known.includes(candidate));
  return reference ? { text: reference } : null;
};

/** Any ticket reference, known to the record or not (a claim that one was opened). */
export const anyTicketReference: Rule = (analysis) => (analysis.tickets[0] ? { text: analysis.tickets[0] } : null);

const DATE_WORD = /^__date(\d+)__$/;

/**
 * The rule's phrase with the date the record holds: the date nearest the phrase in its sentence
 * (after it first: "until 3 March"), else the nearest in the reply, must name one of the
 * context's days. With no dates in the context, the phrase alone is enough.
 */
export const withDate =
  (concept: Concept, moods: readonly Mood[], days: (context: ScoreContext) => readonly string[] | undefined): Rule =>
  (analysis, context) => {
    const wanted = days(context);
    for (const match of findConcept(analysis, concept)) {
      if (!moods.includes(match.mood)) continue;
      if (!wanted || wanted.length === 0) return evidence(analysis, match);
      const sentence = analysis.sentences[match.sentence]!;
      const positions = analysis.words.flatMap((word, at) => (DATE_WORD.test(word) ? [at] : []));
      const distance = (at: number) => (at >= match.start ? Math.max(0, at - match.end) : 1_000 + match.start - at);
      const inSentence = positions.filter((at) => at >= sentence.start && at < sentence.end);
      const nearest = (inSentence.length > 0 ? inSentence : positions).sort((a, b) => distance(a) - distance(b))[0];
      if (nearest === undefined) continue;
      const date = analysis.dates[Number(DATE_WORD.exec(analysis.words[nearest]!)![1])]!;
      if (wanted.some((day) => namesDay(date, day))) return { text: `${evidence(analysis, match).text} (${analysis.words[nearest]})` };
    }
    return null;
  };

/**
 * What the reply last says about the latest payment: "ok" when its last word on it is a
 * success, "failed" when it is a failure or a denied success. "Declined at first, then the
 * retry went through" ends on a success.
 */
export function lastPaymentWord(analysis: Analysis): { status: "ok" | "failed"; match: ConceptMatch } | null {
  type Event = { status: "ok" | "failed"; match: ConceptMatch };
  const events: Event[] = [];
  for (const match of findConcept(analysis, "paymentSucceeded")) {
    if (match.mood === "asserted") events.push({ status: "ok", match });
    if (match.mood === "negated") events.push({ status: "failed", match });
  }
  for (const match of findConcept(analysis, "paymentFailed")) if (match.mood === "asserted") events.push({ status: "failed", match });
  events.sort((a, b) => a.match.end - b.match.end);
  return events.at(-1) ?? null;
}

export const lastPaymentIs =
  (status: "ok" | "failed"): Rule =>
  (analysis) => {
    const last = lastPaymentWord(analysis);
    return last?.status === status ? evidence(analysis, last.match) : null;
  };

// Analyses of recent replies: a reply is checked against several facts and claims in a row.
const recent = new Map<string, Analysis>();
export function analyzed(reply: string, context: ScoreContext = {}): Analysis {
  const language = SCORER_LANGUAGES.find((known) => known === context.language) as ScorerLanguage | undefined;
  const key = `${language ?? ""}\u0000${reply}`;
  let found = recent.get(key);
  if (!found) {
    found = analyze(reply, language);
    recent.set(key, found);
    if (recent.size > 64) recent.delete(recent.keys().next().value!);
  }
  return found;
}

export function fact(name: string, rule: Rule): Fact {
  return { fact: name, test: (reply, context = {}) => rule(analyzed(reply, context), context) !== null };
}

export function claim(name: string, rule: Rule): Claim {
  return { claim: name, find: (reply, context = {}) => rule(analyzed(reply, context), context)?.text ?? null };
}

/** A claim with one spelling everywhere (an internal id, another customer's address). */
export function literalClaim(name: string, regex: RegExp): Claim {
  return { claim: name, find: (reply) => reply.match(regex)?.[0] ?? null };
}
