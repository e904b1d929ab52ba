// A small phrase-pattern language over words, so each concept's lexicon reads as the phrases
// people write, in any order the language allows:
//   word      one exact word          word*   a word starting with "word"
//   a|b|c     one of these words      word?   an optional word (also a|b?)
//   went_out  several words as one alternative (went_out|sent)
//   {GROUP}   one phrase of a named group of phrases (of the pattern's language)
//   …         up to 5 other words     ……      up to 10 other words
//   A <> B    A then B, or B then A, with up to 5 words between

type WordTest = (word: string) => boolean;
type Element = { kind: "word"; test: WordTest; optional: boolean } | { kind: "group"; phrases: Element[][] } | { kind: "gap"; max: number };

export type Groups = Readonly<Record<string, readonly string[]>>;

/** A pattern ready to match: one or two element sequences (A <> B gives both orders). */
export interface CompiledPattern {
  source: string;
  sequences: Element[][];
}

export interface PatternMatch {
  start: number;
  end: number;
  /** Indices of the words the pattern itself matched (not those a gap skipped). */
  matched: number[];
}

function wordTest(spec: string): WordTest {
  const alternatives = spec.split("|").map((alt) => (alt.endsWith("*") ? { text: alt.slice(0, -1), prefix: true } : { text: alt, prefix: false }));
  return (word) => alternatives.some((alt) => (alt.prefix ? word.startsWith(alt.text) : word === alt.text));
}

function compileSequence(source: string, groups: Groups, depth = 0): Element[] {
  return source
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((token): Element => {
      if (token === "…" || token === "...") return { kind: "gap", max: 5 };
      if (token === "……") return { kind: "gap", max: 10 };
      const group = /^\{([A-Z_]+)\}$/.exec(token);
      if (group) {
        const phrases = groups[group[1]!];
        if (!phrases) throw new Error(`pattern "${source}" names an unknown group ${group[1]}`);
        if (depth > 2) throw new Error(`group ${group[1]} nests too deep`);
        return { kind: "group", phrases: phrases.map((phrase) => compileSequence(phrase, groups, depth + 1)) };
      }
      const optional = token.endsWith("?");
      const spec = optional ? token.slice(0, -1) : token;
      // went_out|sent or {GROUP}|word: alternatives of several words.
      if (spec.includes("_") || spec.includes("{")) {
        const phrases = spec.split("|").flatMap((alt) => {
          const named = /^\{([A-Z_]+)\}$/.exec(alt);
          if (!named) return [compileSequence(alt.replaceAll("_", " "), groups, depth + 1)];
          const members = groups[named[1]!];
          if (!members) throw new Error(`pattern "${source}" names an unknown group ${named[1]}`);
          return members.map((member) => compileSequence(member, groups, depth + 1));
        });
        return optional ? { kind: "group", phrases: [...phrases, []] } : { kind: "group", phrases };
      }
      return { kind: "word", test: wordTest(spec), optional };
    });
}

export function compilePattern(source: string, groups: Groups): CompiledPattern {
  const halves = source.split(" <> ");
  if (halves.length === 1) return { source, sequences: [compileSequence(source, groups)] };
  if (halves.length !== 2) throw new Error(`pattern "${source}" has more than one <>`);
  const [a, b] = [halves[0]!, halves[1]!];
  return { source, sequences: [compileSequence(`${a} … ${b}`, groups), compileSequence(`${b} … ${a}`, groups)] };
}

/** Every way the sequence matches from `pos`, shortest gaps first; returns the end and matched indices. */
function matchFrom(elements: readonly Element[], index: number, words: readonly string[], pos: number, matched: number[]): { end: number; matched: number[] } | null {
  if (index === elements.length) return { end: pos, matched };
  const element = elements[index]!;
  switch (element.kind) {
    case "word": {
      if (pos < words.length && element.test(words[pos]!)) {
        const found = matchFrom(elements, index + 1, words, pos + 1, [...matched, pos]);
        if (found) return found;
      }
      return element.optional ? matchFrom(elements, index + 1, words, pos, matched) : null;
    }
    case "group": {
      for (const phrase of element.phrases) {
        const inner = matchFrom(phrase, 0, words, pos, []);
        if (!inner) continue;
        const found = matchFrom(elements, index + 1, words, inner.end, [...matched, ...inner.matched]);
        if (found) return found;
      }
      return null;
    }
    case "gap": {
      for (let skip = 0; skip <= element.max && pos + skip <= words.length; skip++) {
        const found = matchFrom(elements, index + 1, words, pos + skip, matched);
        if (found) return found;
      }
      return null;
    }
  }
}

/** Every match of a pattern in a run of words, one per start position. */
export function matchPattern(pattern: CompiledPattern, words: readonly string[]): PatternMatch[] {
  const matches: PatternMatch[] = [];
  for (const sequence of pattern.sequences) {
    for (let start = 0; start < words.length; start++) {
      const found = matchFrom(sequence, 0, words, start, []);
      if (found && found.matched.length > 0) matches.push({ start: found.matched[0]!, end: found.end, matched: found.matched });
    }
  }
  return matches;
}
