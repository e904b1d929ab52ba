// Pure: typo repair against the training corpus's own vocabulary, before classifying. A word
// the corpus never uses is replaced by the closest word it does use (Damerau-Levenshtein: one
// edit for short words, two for long ones), so "invitaton" and "refunnd" reach the words the
// classifier learned. Words that are too short or have no close neighbour stay as they are.

const WORD = /[\p{L}\p{N}'-]+/gu;

export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** Lower case without accents: how the vocabulary and the corrections compare words. */
export function fold(word: string): string {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
  }
  return rows[a.length]![b.length]!;
}

/** A misspelled word of a language ("supprt") is weaker evidence of it than one spelled right, but evidence. */
const MISSPELLED_CREDIT = 0.5;

export interface Speller {
  correct(text: string): string;
  /** Whether the corpus uses the (folded) word as it is. */
  uses(word: string): boolean;
  /** Whether the (folded) word, which the corpus does not use, is a misspelling of one it does. */
  repairs(word: string): boolean;
}

/**
 * The share of the text's words a language's corpus uses (a misspelling of one counts half): a
 * language signal for short messages. A word that another language's corpus uses as it is
 * belongs to that language, not misspelled to this one ("cats" is not French "chats").
 */
export function familiarity(text: string, speller: Speller, others: readonly Speller[]): number {
  const all = words(text).map(fold);
  if (all.length === 0) return 0;
  const credit = all.reduce((sum, word) => {
    if (speller.uses(word)) return sum + 1;
    if (others.some((other) => other.uses(word))) return sum;
    return sum + (speller.repairs(word) ? MISSPELLED_CREDIT : 0);
  }, 0);
  return credit / all.length;
}

export function buildSpeller(sentences: Iterable<string>): Speller {
  const counts = new Map<string, number>();
  for (const sentence of sentences) for (const word of words(sentence)) counts.set(fold(word), (counts.get(fold(word)) ?? 0) + 1);
  const vocabulary = [...counts.keys()].sort();
  const cache = new Map<string, string>();

  const fix = (word: string): string => {
    if (counts.has(word) || /\d/.test(word)) return word;
    // Three letters leave too little to go on: only two swapped letters are repaired ("yse", "oiu").
    if (word.length === 3) {
      const swaps = [word[1]! + word[0]! + word[2]!, word[0]! + word[2]! + word[1]!];
      return swaps.find((swap) => counts.has(swap)) ?? word;
    }
    if (word.length < 4) return word;
    const cached = cache.get(word);
    if (cached !== undefined) return cached;
    const limit = word.length >= 7 ? 2 : 1;
    let best = word;
    let bestDistance = limit + 1;
    let bestCount = 0;
    for (const candidate of vocabulary) {
      if (candidate.length < 3) continue;
      const d = distance(word, candidate, limit);
      const count = counts.get(candidate)!;
      if (d < bestDistance || (d === bestDistance && count > bestCount)) {
        best = candidate;
        bestDistance = d;
        bestCount = count;
      }
    }
    const fixed = bestDistance <= limit ? best : word;
    cache.set(word, fixed);
    return fixed;
  };

  return {
    correct: (text) => words(text).map((word) => fix(fold(word))).join(" "),
    uses: (word) => counts.has(word),
    repairs: (word) => !counts.has(word) && fix(word) !== word,
  };
}
