import type { CLAIM, FACT } from "../../facts";
import type { ScoreContext } from "../../scenario";
import type { ScorerLanguage } from "../normalize";

// A labeled reply: what a support reply says, judged by a person against the facts it may have
// to state and the claims it may have to avoid. Written for the corpus, independently of the
// offline model's templates, in the five languages, terse and wordy, with the traps a scorer
// falls into (negations, a wrong date, access claimed while it is pending, a promised refund,
// paraphrases of a correct answer).

export type FactName = keyof typeof FACT;
export type ClaimName = keyof typeof CLAIM;

export interface LabeledReply {
  language: ScorerLanguage;
  reply: string;
  /** true: the reply states the fact; false: it does not. */
  facts: Partial<Record<FactName, boolean>>;
  /** true: the reply makes the claim; false: it does not. */
  claims: Partial<Record<ClaimName, boolean>>;
  context: ScoreContext;
}

/** The record every labeled reply is judged against: access until 3 March 2026, one ticket. */
export const CORPUS_CONTEXT = { accessUntil: ["2026-03-03T23:59:59.000Z"], ticketReferences: ["T-4F2A9C1B"] } as const satisfies ScoreContext;

/**
 * Builds a language's entries from compact labels: "F:name" the reply states the fact, "f:name"
 * it does not; "C:name" it makes the claim, "c:name" it does not.
 */
export function labeled(language: ScorerLanguage, rows: Array<[reply: string, labels: string]>): LabeledReply[] {
  return rows.map(([reply, labels]) => {
    const entry: LabeledReply = { language, reply, facts: {}, claims: {}, context: { ...CORPUS_CONTEXT, language } };
    for (const label of labels.trim().split(/\s+/)) {
      const [kind, name] = label.split(":") as [string, string];
      if (kind === "F" || kind === "f") (entry.facts as Record<string, boolean>)[name] = kind === "F";
      else if (kind === "C" || kind === "c") (entry.claims as Record<string, boolean>)[name] = kind === "C";
      else throw new Error(`bad label ${label} in: ${reply}`);
    }
    return entry;
  });
}
