import { fold, words } from "./spelling";

// Pure: a second opinion beside NLP.js, reading letters instead of whole stems. NLP.js sees a
// sentence as a bag of stems, so a word it never saw ("einladungslink", "reenvíamela", "refunnd")
// counts for nothing. Character n-grams of the same words still overlap with what the corpus
// says ("einladung", "reenv", "refun"), which is what carries compounds, clitics, slang spellings
// and typos. The model is a softmax regression over those n-grams and the words themselves,
// trained by plain stochastic gradient descent with a fixed seed, so the same corpus always
// gives the same model.

export interface NgramModel<Label extends string> {
  /** A probability for every label (summing to 1), in the order the labels were given. */
  predict(text: string): number[];
  labels: readonly Label[];
}

export interface NgramSettings {
  /** Passes over the corpus. */
  epochs: number;
  learningRate: number;
  /** L2 weight decay per update, against memorising single sentences. */
  decay: number;
}

/**
 * Chosen by cross-validation on the training corpus (`npm run bench:nlu -- --cv`): a decay of
 * 1e-3 held out 88.1% against 87.6% at 1e-5, as well as 3e-3 and better than 1e-2 (87.7%).
 */
export const DEFAULT_NGRAM_SETTINGS: NgramSettings = { epochs: 15, learningRate: 4, decay: 1e-3 };

const MIN_GRAM = 3;
const MAX_GRAM = 5;

/** A text's features, each weighted so that the vector has length 1: its words, and the letter n-grams of each word with its edges marked. */
export function ngramFeatures(text: string): Map<string, number> {
  const features = new Map<string, number>();
  const add = (feature: string) => features.set(feature, (features.get(feature) ?? 0) + 1);
  // Apostrophes and hyphens join clitics to words ("l'invitation", "renvoyez-moi"): the parts count on their own.
  for (const word of words(text).flatMap((w) => fold(w).split(/['’-]+/u)).filter(Boolean)) {
    add(`w:${word}`);
    const marked = `<${word}>`;
    for (let n = MIN_GRAM; n <= MAX_GRAM; n++) for (let i = 0; i + n <= marked.length; i++) add(marked.slice(i, i + n));
  }
  let norm = 0;
  for (const value of features.values()) norm += value * value;
  norm = Math.sqrt(norm);
  for (const [feature, value] of features) features.set(feature, value / norm);
  return features;
}

/** Park-Miller: a tiny seeded generator, so training shuffles the same way every time. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp(logit - max));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

export function trainNgramModel<Label extends string>(
  examples: ReadonlyArray<{ text: string; label: Label }>,
  labels: readonly Label[],
  settings: NgramSettings = DEFAULT_NGRAM_SETTINGS,
): NgramModel<Label> {
  const classes = labels.length;
  // Features as row numbers into one flat weight array: training touches only a sentence's own rows.
  const rows = new Map<string, number>();
  const encode = (text: string) => {
    const indices: number[] = [];
    const values: number[] = [];
    for (const [feature, value] of ngramFeatures(text)) {
      let row = rows.get(feature);
      if (row === undefined) {
        row = rows.size;
        rows.set(feature, row);
      }
      indices.push(row * classes);
      values.push(value);
    }
    return { indices, values };
  };
  const data = examples.flatMap((example) => {
    const target = labels.indexOf(example.label);
    return target < 0 ? [] : [{ ...encode(example.text), target }];
  });
  const weights = new Float64Array(rows.size * classes);
  const bias = new Float64Array(classes);
  const logits = (indices: number[], values: number[]) => {
    const sums = [...bias];
    for (let f = 0; f < indices.length; f++) for (let k = 0; k < classes; k++) sums[k]! += weights[indices[f]! + k]! * values[f]!;
    return sums;
  };
  const random = seeded(12345);
  const order = data.map((_, index) => index);
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rate = settings.learningRate / (1 + epoch * 0.1);
    const keep = 1 - settings.decay;
    for (const index of order) {
      const { indices, values, target } = data[index]!;
      const probabilities = softmax(logits(indices, values));
      for (let k = 0; k < classes; k++) {
        const step = rate * ((k === target ? 1 : 0) - probabilities[k]!);
        bias[k]! += step * 0.1;
        for (let f = 0; f < indices.length; f++) {
          const at = indices[f]! + k;
          weights[at] = weights[at]! * keep + step * values[f]!;
        }
      }
    }
  }
  return {
    labels,
    predict(text) {
      const indices: number[] = [];
      const values: number[] = [];
      for (const [feature, value] of ngramFeatures(text)) {
        const row = rows.get(feature);
        if (row !== undefined) {
          indices.push(row * classes);
          values.push(value);
        }
      }
      return softmax(logits(indices, values));
    },
  };
}
