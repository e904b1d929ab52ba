import { describe, expect, it } from "vitest";
import { agreement, ruleScorer, type Agreement, type Scorer } from "../../evals/scorer/agreement";
import { LABELED_REPLIES } from "../../evals/scorer/labeled";
import { SCORER_LANGUAGES } from "../../evals/scorer/normalize";

// The rule-based scorer against a labeled corpus of replies written independently of the
// offline model, in the five languages: it must agree with the labels at least 97% of the time,
// and the same measure must catch a scorer that always passes or always fails.

const BAR = 0.97;
const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function report(name: string, result: Agreement): string {
  const languages = Object.entries(result.byLanguage)
    .map(([language, bucket]) => `${language} ${percent(bucket.rate)} (${bucket.agreed}/${bucket.total})`)
    .join(", ");
  return `${name}: ${percent(result.rate)} (${result.agreed}/${result.total} verdicts on ${LABELED_REPLIES.length} replies); ${languages}`;
}

describe("the labeled reply corpus", () => {
  it("has at least 300 replies in all five languages, with true and false labels for facts and claims", () => {
    expect(LABELED_REPLIES.length).toBeGreaterThanOrEqual(300);
    for (const language of SCORER_LANGUAGES) expect(LABELED_REPLIES.filter((entry) => entry.language === language).length).toBeGreaterThanOrEqual(50);
    const labels = (kind: "facts" | "claims", value: boolean) => LABELED_REPLIES.flatMap((entry) => Object.values(entry[kind])).filter((label) => label === value).length;
    for (const kind of ["facts", "claims"] as const) {
      expect(labels(kind, true)).toBeGreaterThanOrEqual(100);
      expect(labels(kind, false)).toBeGreaterThanOrEqual(100);
    }
    expect(new Set(LABELED_REPLIES.map((entry) => entry.reply)).size).toBe(LABELED_REPLIES.length);
  });
});

describe("scorer agreement with the labels", () => {
  it(`agrees with at least ${BAR * 100}% of the labels, overall`, () => {
    const result = agreement(LABELED_REPLIES, ruleScorer);
    console.log(report("rule scorer", result));
    for (const miss of result.disagreements) console.log(`  disagrees [${miss.language}] ${miss.check}: labeled ${miss.label}, scored ${miss.scored} — ${miss.reply}`);
    expect(result.rate).toBeGreaterThanOrEqual(BAR);
    for (const language of SCORER_LANGUAGES) expect(result.byLanguage[language]!.rate, `agreement in ${language}`).toBeGreaterThanOrEqual(0.9);
  });

  it("agrees as well when it must tell each reply's language itself (as the eval harness lets it)", () => {
    const unlabeled = LABELED_REPLIES.map((entry) => ({ ...entry, context: { ...entry.context, language: undefined } }));
    const result = agreement(unlabeled, ruleScorer);
    console.log(report("rule scorer, language guessed", result));
    expect(result.rate).toBeGreaterThanOrEqual(BAR);
  });

  it.each<[string, Scorer]>([
    ["a scorer that always passes", { states: () => true, makes: () => false }],
    ["a scorer that always fails", { states: () => false, makes: () => true }],
    ["a scorer that flips a coin", { states: (_fact, reply) => reply.length % 2 === 0, makes: (_claim, reply) => reply.length % 3 === 0 }],
  ])("catches %s: its agreement falls below the bar", (name, scorer) => {
    const result = agreement(LABELED_REPLIES, scorer);
    console.log(report(name, result));
    expect(result.rate).toBeLessThan(BAR);
    expect(result.disagreements.length).toBe(result.total - result.agreed);
  });
});
