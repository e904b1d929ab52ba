import type { Language } from "../language";

// Pure text handling around the classifier: typed email addresses, clauses, normalization.

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu;
/** What an email address becomes before classifying: a word, so "I paid with x@y.z" reads as one sentence, never as a lookup. */
export const EMAIL_PLACEHOLDER = "emailaddress";

export function emailsIn(text: string): string[] {
  return text.match(EMAIL) ?? [];
}

const TICKET_REFERENCE = /\bT-[0-9A-F]{8}\b/gi;
/** What a ticket reference (T-1A2B3C4D) becomes: one word the classifier learns as a ticket's. */
export const TICKET_PLACEHOLDER = "ticketreference";

/** Addresses and ticket references as placeholder words: the classifier learns their role, not their letters. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, EMAIL_PLACEHOLDER).replace(TICKET_REFERENCE, TICKET_PLACEHOLDER);
}

// Words that join two asks in one message, per language ("resend it, and also I was charged
// twice"). A split that cuts one ask in two is harmless: a fragment that means nothing is
// classified as nothing and dropped.
const JOINERS: Record<Language, string[]> = {
  en: ["and also", "and", "also", "plus", "but", "then", "as well as"],
  es: ["y además", "además", "y también", "también", "y", "pero", "luego"],
  fr: ["et aussi", "aussi", "et puis", "puis", "et", "mais", "en plus"],
  de: ["und außerdem", "außerdem", "und auch", "auch", "und", "aber", "dann"],
  pt: ["e também", "também", "além disso", "e", "mas", "depois"],
};

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const SPLITTERS: Record<Language, RegExp> = Object.fromEntries(
  Object.entries(JOINERS).map(([language, words]) => [
    language,
    new RegExp(String.raw`[.!?;,\n]+|(?<![\p{L}\p{N}])(?:${words.map(escape).join("|")})(?![\p{L}\p{N}])`, "giu"),
  ]),
) as Record<Language, RegExp>;

/** The clauses of a message, each a candidate ask; empty ones dropped. */
export function splitClauses(text: string, language: Language): string[] {
  return text
    .split(SPLITTERS[language])
    .map((clause) => clause.trim())
    .filter((clause) => /[\p{L}\p{N}]/u.test(clause));
}

/** For comparing sentences: case, accents, punctuation and spacing do not count. */
export function normalizeSentence(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}
