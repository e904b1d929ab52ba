import { CLAIM, FACT } from "../facts";
import type { ScoreContext } from "../scenario";
import type { ClaimName, FactName, LabeledReply } from "./labeled/corpus";

// How often a scorer's verdicts match the labels of a reply corpus: one verdict per
// (reply, fact) and (reply, claim) pair. A scorer is anything that says, for a reply, whether
// it states a fact and whether it makes a claim, so degenerate scorers can be measured too.

export interface Scorer {
  states(fact: FactName, reply: string, context: ScoreContext): boolean;
  makes(claim: ClaimName, reply: string, context: ScoreContext): boolean;
}

/** The rule-based scorer of evals/facts.ts. */
export const ruleScorer: Scorer = {
  states: (fact, reply, context) => FACT[fact].test(reply, context),
  makes: (claim, reply, context) => CLAIM[claim].find(reply, context) !== null,
};

export interface Disagreement {
  language: string;
  reply: string;
  check: string;
  label: boolean;
  scored: boolean;
}

export interface Agreement {
  agreed: number;
  total: number;
  rate: number;
  byLanguage: Record<string, { agreed: number; total: number; rate: number }>;
  disagreements: Disagreement[];
}

export function agreement(corpus: readonly LabeledReply[], scorer: Scorer): Agreement {
  const byLanguage: Agreement["byLanguage"] = {};
  const disagreements: Disagreement[] = [];
  let agreed = 0;
  let total = 0;
  const record = (entry: LabeledReply, check: string, label: boolean, scored: boolean) => {
    const bucket = (byLanguage[entry.language] ??= { agreed: 0, total: 0, rate: 0 });
    bucket.total++;
    total++;
    if (label === scored) {
      bucket.agreed++;
      agreed++;
    } else disagreements.push({ language: entry.language, reply: entry.reply, check, label, scored });
  };
  for (const entry of corpus) {
    for (const [fact, label] of Object.entries(entry.facts) as Array<[FactName, boolean]>) record(entry, `fact ${fact}`, label, scorer.states(fact, entry.reply, entry.context));
    for (const [claim, label] of Object.entries(entry.claims) as Array<[ClaimName, boolean]>) record(entry, `claim ${claim}`, label, scorer.makes(claim, entry.reply, entry.context));
  }
  for (const bucket of Object.values(byLanguage)) bucket.rate = bucket.agreed / bucket.total;
  return { agreed, total, rate: total === 0 ? 0 : agreed / total, byLanguage, disagreements };
}
