import { findDates, type FoundDate } from "./dates";
import { LEXICON, STOPWORDS, type Concept, type LanguageLexicon } from "./lexicon";
import { normalize, SCORER_LANGUAGES, words, type ScorerLanguage } from "./normalize";
import { compilePattern, matchPattern, type CompiledPattern } from "./pattern";

// A reply cut into sentences and clauses of folded words, and what it says: each concept of the
// lexicon found in it, with the mood it is said in. A negation reaches from the start of its
// clause to the phrase ("you do not have access yet", "vous n'avez plus accès"); a modal or a
// future word makes the phrase only possible or future ("you will have access once…"); a
// condition ("if", "once", "sobald") covers its clause and the next; a question asserts nothing.

/** How a phrase is said: as a fact, denied, as a possibility or condition, or as what will happen. */
export type Mood = "asserted" | "negated" | "possible" | "future";

export interface ConceptMatch {
  concept: Concept;
  mood: Mood;
  start: number;
  end: number;
  sentence: number;
  source: string;
}

interface Clause {
  start: number;
  end: number;
  sentence: number;
}

export interface Analysis {
  language: ScorerLanguage;
  words: string[];
  clauses: Clause[];
  sentences: Array<{ start: number; end: number; question: boolean }>;
  /** Dates in the reply; the word `__date3__` stands for dates[3]. */
  dates: FoundDate[];
  /** Ticket references as written (T- and eight hex digits), upper case. */
  tickets: string[];
}

const TICKET = /\bT-?([0-9A-F]{8})\b/gi;
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;

// Each language's own words: its common words and the words of its lexicon no other language uses.
let ownWords: Array<readonly [ScorerLanguage, Set<string>]> | undefined;
function languageWords() {
  if (ownWords) return ownWords;
  const lexiconWords = new Map<ScorerLanguage, Set<string>>();
  for (const language of SCORER_LANGUAGES) {
    const { groups, concepts } = LEXICON[language];
    const phrases = [...Object.values(groups).flat(), ...Object.values(concepts).flat()];
    const found = phrases.flatMap((phrase) => phrase.split(/[\s|_]+/)).map((word) => word.replace(/\?$/, ""));
    lexiconWords.set(language, new Set(found.filter((word) => /^[a-z]{3,}$/.test(word))));
  }
  const shared = (word: string, language: ScorerLanguage) => SCORER_LANGUAGES.some((other) => other !== language && lexiconWords.get(other)!.has(word));
  ownWords = SCORER_LANGUAGES.map((language) => [language, new Set([...STOPWORDS[language], ...[...lexiconWords.get(language)!].filter((word) => !shared(word, language))])] as const);
  return ownWords;
}

/** The language a reply is most likely written in, by its own words (English on a tie). */
export function guessLanguage(text: string): ScorerLanguage {
  const counts = new Map<ScorerLanguage, number>(SCORER_LANGUAGES.map((language) => [language, 0]));
  const sets = languageWords();
  for (const word of words(normalize(text))) {
    for (const [language, set] of sets) if (set.has(word)) counts.set(language, counts.get(language)! + 1);
  }
  let best: ScorerLanguage = "en";
  for (const language of SCORER_LANGUAGES) if (counts.get(language)! > counts.get(best)!) best = language;
  return best;
}

const phraseAt = (list: readonly string[][], tokens: readonly string[], at: number) =>
  list.some((phrase) => phrase.every((word, offset) => tokens[at + offset] === word));

const cueCache = new Map<ScorerLanguage, Record<"negators" | "modal" | "future" | "conditional" | "clauseBreaks" | "perception", string[][]>>();
function cues(language: ScorerLanguage) {
  let found = cueCache.get(language);
  if (!found) {
    const lexicon = LEXICON[language];
    const split = (list: string[]) => list.map((cue) => cue.split(" "));
    found = {
      negators: split(lexicon.negators),
      modal: split(lexicon.modal),
      future: split(lexicon.future),
      conditional: split(lexicon.conditional),
      clauseBreaks: split(lexicon.clauseBreaks),
      perception: split(lexicon.perception),
    };
    cueCache.set(language, found);
  }
  return found;
}

/** Cuts a reply into words, clauses and sentences; pure. */
export function analyze(reply: string, language: ScorerLanguage = guessLanguage(reply)): Analysis {
  const tickets = [...reply.matchAll(TICKET)].map((match) => `T-${match[1]!.toUpperCase()}`);
  let text = normalize(reply.replace(TICKET, " __ticket__ ").replace(EMAIL, " __email__ "));
  const dates = findDates(text);
  for (let i = dates.length - 1; i >= 0; i--) {
    const date = dates[i]!;
    text = `${text.slice(0, date.index)} __date${i}__ ${text.slice(date.index + date.length)}`;
  }
  // A clock time ("02:24") is one word, not a clause break at its colon.
  text = text.replace(/\b(\d{1,2}):(\d{2})\b/g, "$1h$2");
  const breaks = cues(language).clauseBreaks;
  const allWords: string[] = [];
  const clauses: Clause[] = [];
  const sentences: Analysis["sentences"] = [];
  for (const sentenceMatch of text.matchAll(/[^.!?\n]+[.!?\n]*/g)) {
    const sentenceText = sentenceMatch[0];
    if (words(sentenceText).length === 0) continue;
    const sentence = sentences.length;
    const start = allWords.length;
    for (const clauseText of sentenceText.split(/[,;:"]| - /)) {
      const clauseWords = words(clauseText);
      let clauseStart = allWords.length;
      for (const [offset, word] of clauseWords.entries()) {
        if (phraseAt(breaks, clauseWords, offset) && allWords.length > clauseStart) {
          clauses.push({ start: clauseStart, end: allWords.length, sentence });
          clauseStart = allWords.length;
        }
        allWords.push(word);
      }
      if (allWords.length > clauseStart) clauses.push({ start: clauseStart, end: allWords.length, sentence });
    }
    sentences.push({ start, end: allWords.length, question: /\?/.test(sentenceText) || /¿/.test(sentenceText) });
  }
  return { language, words: allWords, clauses, sentences, dates, tickets };
}

const compiled = new Map<string, CompiledPattern[]>();
function patternsFor(language: ScorerLanguage, concept: Concept): CompiledPattern[] {
  const key = `${language}:${concept}`;
  let patterns = compiled.get(key);
  if (!patterns) {
    // English phrases count in every language: models mix them in ("ticket", "trial", "OK").
    const lexicons: LanguageLexicon[] = language === "en" ? [LEXICON.en] : [LEXICON[language], LEXICON.en];
    patterns = lexicons.flatMap((lexicon) => (lexicon.concepts[concept] ?? []).map((source) => compilePattern(source, lexicon.groups)));
    compiled.set(key, patterns);
  }
  return patterns;
}

function moodOf(analysis: Analysis, clauseIndex: number, match: { start: number; end: number; matched: number[] }): Mood {
  const { words: tokens, clauses, sentences, language } = analysis;
  const clause = clauses[clauseIndex]!;
  const cue = cues(language);
  const inMatch = new Set(match.matched);
  let negated = false;
  let modal = false;
  let future = false;
  let conditional = sentences[clause.sentence]!.question;
  for (let at = clause.start; at < match.end; at++) {
    if (inMatch.has(at)) continue;
    if (phraseAt(cue.negators, tokens, at)) negated = true;
    if (phraseAt(cue.future, tokens, at) && !(tokens[at] === "going" && tokens[at + 1] !== "to")) future = true;
    if (phraseAt(cue.modal, tokens, at) && !phraseAt(cue.perception, tokens, at + 1) && !phraseAt(cue.perception, tokens, at + 2)) modal = true;
    if (at < match.start && phraseAt(cue.conditional, tokens, at)) conditional = true;
  }
  // German puts "nicht" after the verb ("Die Zahlung ging nicht durch", "kann ich nicht").
  for (let at = match.end; at < Math.min(clause.end, match.end + 3); at++) if (tokens[at] === "nicht") negated = true;
  // "If you accept it, you will have access": a clause that opens on a condition governs the next one.
  const previous = clauses[clauseIndex - 1];
  if (previous && previous.sentence === clause.sentence) {
    for (let at = previous.start; at < Math.min(previous.end, previous.start + 3); at++) if (phraseAt(cue.conditional, tokens, at)) conditional = true;
  }
  if (negated) return "negated";
  if (conditional || modal) return "possible";
  if (future) return "future";
  return "asserted";
}

/** Every place the reply expresses a concept, with its mood; matches stay inside one clause. */
export function findConcept(analysis: Analysis, concept: Concept): ConceptMatch[] {
  const found: ConceptMatch[] = [];
  for (const pattern of patternsFor(analysis.language, concept)) {
    for (const [clauseIndex, clause] of analysis.clauses.entries()) {
      const clauseWords = analysis.words.slice(clause.start, clause.end);
      for (const local of matchPattern(pattern, clauseWords)) {
        const match = { start: clause.start + local.start, end: clause.start + local.end, matched: local.matched.map((index) => index + clause.start) };
        found.push({ concept, mood: moodOf(analysis, clauseIndex, match), start: match.start, end: match.end, sentence: clause.sentence, source: pattern.source });
      }
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
