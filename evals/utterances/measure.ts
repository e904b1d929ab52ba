import { LANGUAGES, type Language } from "../../lib/chat/language";
import type { Classifier } from "../../lib/chat/nlu/classifier";
import { understand } from "../../lib/chat/nlu/understand";
import { EVAL_UTTERANCES, STYLES, type EvalUtterance, type Style } from "./index";

// The classifier's accuracy on the eval sentences: a sentence counts as understood when the
// asks found are exactly the asks it is labeled with (order aside). Shared by `npm run
// bench:nlu` and the unit test that gates on it.

export interface Tally {
  correct: number;
  total: number;
}
export interface Miss {
  language: Language;
  style: Style;
  text: string;
  expected: string[];
  got: string[];
}
export interface NluMeasurement {
  overall: Tally;
  byLanguage: Record<Language, Tally>;
  byStyle: Record<Style, Tally>;
  /** Sentences whose reply language was guessed right (short ones may keep the default). */
  languageGuessed: Tally;
  misses: Miss[];
}

const tally = (): Tally => ({ correct: 0, total: 0 });
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((item) => b.includes(item));

export const rate = (t: Tally) => (t.total === 0 ? 0 : t.correct / t.total);

export async function measureNlu(classifier: Classifier, sentences: Record<Language, EvalUtterance[]> = EVAL_UTTERANCES): Promise<NluMeasurement> {
  const result: NluMeasurement = {
    overall: tally(),
    byLanguage: Object.fromEntries(LANGUAGES.map((language) => [language, tally()])) as Record<Language, Tally>,
    byStyle: Object.fromEntries(STYLES.map((style) => [style, tally()])) as Record<Style, Tally>,
    languageGuessed: tally(),
    misses: [],
  };
  for (const language of LANGUAGES) {
    for (const sentence of sentences[language]) {
      const understood = await understand(classifier, sentence.text);
      const ok = sameSet(understood.asks, sentence.intents);
      for (const t of [result.overall, result.byLanguage[language], result.byStyle[sentence.style]]) {
        t.total++;
        if (ok) t.correct++;
      }
      result.languageGuessed.total++;
      if (understood.language === language) result.languageGuessed.correct++;
      if (!ok) result.misses.push({ language, style: sentence.style, text: sentence.text, expected: sentence.intents, got: understood.asks });
    }
  }
  return result;
}
