// Text normalization for scoring: one canonical form of a reply, whatever its case, accents,
// apostrophes, contractions or punctuation, so the lexicon can be written once per language.

export const SCORER_LANGUAGES = ["en", "es", "fr", "de", "pt"] as const;
export type ScorerLanguage = (typeof SCORER_LANGUAGES)[number];

/** Lower case, no diacritics (ß → ss), typographic quotes and dashes made plain. */
export function foldCase(text: string): string {
  return text
    .replace(/[\u2018\u2019\u02bc\u00b4`]/g, "'")
    .replace(/[\u201c\u201d\u00ab\u00bb\u201e]/g, '"')
    .replace(/[\u2013\u2014]/g, " - ")
    .replace(/\u00a0/g, " ")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .normalize("NFD")
    .replace(/\p{M}/gu, "");
}

// English contractions, with and without the apostrophe (people and models drop it).
const EN_CONTRACTIONS: Array<[RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  [/\bcan'?t\b/g, "can not"],
  [/\bcannot\b/g, "can not"],
  [/\bwon'?t\b/g, "will not"],
  [/\bshan'?t\b/g, "shall not"],
  [/\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need)n'?t\b/g, "$1 not"],
  [/\bain'?t\b/g, "is not"],
  [/\b(i|you|we|they|who)'ve\b/g, "$1 have"],
  [/\b(i|you|we|they|he|she|it|that|there|who)'ll\b/g, "$1 will"],
  [/\b(i|you|we|they|he|she|it|that|there|who)'d\b/g, "$1 would"],
  [/\b(you|we|they|who)'re\b/g, "$1 are"],
  [/\bi'm\b/g, "i am"],
  [/\b(it|that|there|here|what|he|she|who|let)'s\b/g, (_match: string, word: string) => (word === "let" ? "let us" : `${word} is`)],
  [/'s\b/g, ""],
  [/\b(youve|weve|ive)\b/g, (m: string) => `${m.slice(0, -2)} have`],
  [/\b(youll|ill|well)\b(?= (be|get|have|receive|send|resend|refund|process|pass|add|keep|need|see|arrive))/g, (m: string) => `${m.slice(0, -2)} will`],
  [/\b(youre)\b/g, "you are"],
  [/\bim\b/g, "i am"],
];

// French and Italian-style elisions (l'accès, n'avez, j'ai, qu'un) and Spanish/Portuguese contractions are split into words.
const ELISIONS: Array<[RegExp, string]> = [
  [/\b(n)'/g, "ne "],
  [/\b(l)'/g, "le "],
  [/\b(d)'/g, "de "],
  [/\b(j)'/g, "je "],
  [/\b(qu)'/g, "que "],
  [/\b(s)'(?=[a-z])/g, "se "],
  [/\b(c)'/g, "ce "],
  [/\b(m)'/g, "me "],
  [/\b(t)'/g, "te "],
];

// Phrases whose negation word negates nothing the scorer checks ("don't worry, it went through").
// They become a clause boundary.
const IDLE_NEGATIONS = [
  "do not worry", "no worries", "no problem", "not a problem", "no need to worry", "never mind", "no te preocupes", "no se preocupe", "no hay problema",
  "ningun problema", "no dudes en", "no dude en", "ne vous inquietez pas", "ne t'inquiete pas", "ne te inquiete pas", "pas de souci", "pas de probleme",
  "ne hesitez pas a", "ne hesite pas a", "n'hesitez pas a", "keine sorge", "kein problem", "keine ursache", "zogern sie nicht", "nao se preocupe", "nao te preocupes",
  "sem problema", "nao hesite em", "nao exite em", "if not", "si no", "sinon", "wenn nicht", "se nao",
];

/** A reply as the lexicon reads it: folded, contractions expanded, idle negations cut out. */
export function normalize(text: string): string {
  // "Sí" (yes) must not read as "si" (if) once the accent is gone, and
  // Portuguese "é" (is) must not read as "e" (and), a clause break.
  let out = foldCase(text.replace(/(?<![\p{L}])[sS][íÍ](?![\p{L}])/gu, "yes").replace(/(?<![\p{L}])[éÉ](?![\p{L}])/gu, "eh"));
  for (const [pattern, replacement] of EN_CONTRACTIONS) {
    out = typeof replacement === "string" ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  for (const [pattern, replacement] of ELISIONS) out = out.replace(pattern, replacement);
  for (const phrase of IDLE_NEGATIONS) out = out.replaceAll(phrase, " ; ");
  return out;
}

/** Words of a normalized span (letters and digits; placeholders such as __date0__ kept whole). */
export function words(span: string): string[] {
  return span.match(/__[a-z]+\d*__|[\p{L}\p{N}]+/gu) ?? [];
}
