import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../../lib/chat/language";
import { TRAINING } from "../../lib/chat/nlu/corpus";
import { INTENTS } from "../../lib/chat/nlu/labels";
import { normalizeSentence } from "../../lib/chat/nlu/text";
import { EVAL_UTTERANCES } from "../../evals/utterances";
import { scenarios } from "../../evals/scenarios";

// Training and evaluation kept apart: no sentence the classifier trains on may be one the
// evals measure it with (eval sentences and the scenarios' customer turns), after normalization.

const training = new Map<string, string>();
for (const language of LANGUAGES) for (const intent of INTENTS) for (const sentence of TRAINING[language][intent]) training.set(normalizeSentence(sentence), `${language}/${intent}: ${sentence}`);

describe("training and evaluation sentences", () => {
  it("share no sentence", () => {
    const evalSentences = [...LANGUAGES.flatMap((language) => EVAL_UTTERANCES[language].map((u) => u.text)), ...scenarios.flatMap((s) => s.turns.map((t) => t.say))];
    const overlaps = evalSentences.filter((sentence) => training.has(normalizeSentence(sentence))).map((sentence) => `${sentence} = ${training.get(normalizeSentence(sentence))}`);
    expect(overlaps).toEqual([]);
  });

  it("normalization would catch a copy that differs only in case, accents and punctuation", () => {
    const [first] = TRAINING.es.refund;
    const disguised = `  ${first!.toUpperCase().normalize("NFD").replace(/\p{M}/gu, "")}?! `;
    expect(training.has(normalizeSentence(disguised))).toBe(true);
  });

  it("has the sizes the issue asks for", () => {
    for (const intent of INTENTS) expect(TRAINING.en[intent].length, `en/${intent}`).toBeGreaterThanOrEqual(40);
    for (const language of LANGUAGES) {
      for (const intent of INTENTS) {
        expect(TRAINING[language][intent].length, `${language}/${intent} training`).toBeGreaterThanOrEqual(15);
        expect(EVAL_UTTERANCES[language].filter((u) => u.intents.includes(intent)).length, `${language}/${intent} eval`).toBeGreaterThanOrEqual(10);
      }
    }
  });
});
