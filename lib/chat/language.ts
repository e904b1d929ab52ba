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

/** The language a message is written in, or `fallback` when it is too short to tell. */
export function detectLanguage(text: string, fallback: Language = "en"): Language {
  const letters = text.replace(/[^\p{L}]/gu, "");
  if (letters.length < MIN_LETTERS) return fallback;
  const best = guesser.guess(text, [...LANGUAGES], 1)[0];
  return best && isLanguage(best.alpha2) ? best.alpha2 : fallback;
}
