import { Language as LanguageGuesser } from "@nlpjs/language";

// The languages the offline model and the widget speak. A customer's language is guessed from
// what they write (NLP.js's trigram guesser, restricted to these five); a message too short to
// tell ("ok", "yes") keeps the conversation's language.

export const LANGUAGES = ["en", "es", "fr", "de", "pt"] as const;
export type Language = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Language, string> = { en: "English", es: "Spanish", fr: "French", de: "German", pt: "Portuguese" };

const guesser = new LanguageGuesser();
const MIN_LETTERS = 12;

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/** Whether a message has enough letters for the trigram guess to mean anything. */
export function isLongEnoughToGuess(text: string): boolean {
  return text.replace(/[^\p{L}]/gu, "").length >= MIN_LETTERS;
}

/** The trigram guesser's score for each language, 0 to 1 (the best is 1; all 0 for text with no letters). */
export function trigramScores(text: string): Record<Language, number> {
  const scores = { en: 0, es: 0, fr: 0, de: 0, pt: 0 };
  if (!/\p{L}/u.test(text)) return scores;
  for (const guess of guesser.guess(text, [...LANGUAGES], LANGUAGES.length)) if (isLanguage(guess.alpha2)) scores[guess.alpha2] = guess.score;
  return scores;
}

/** The language a message is written in, or `fallback` when it is too short to tell. */
export function detectLanguage(text: string, fallback: Language = "en"): Language {
  if (!isLongEnoughToGuess(text)) return fallback;
  const best = guesser.guess(text, [...LANGUAGES], 1)[0];
  return best && isLanguage(best.alpha2) ? best.alpha2 : fallback;
}
