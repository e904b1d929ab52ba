import type { Intent } from "../../lib/chat/nlu/labels";

// Customer sentences for measuring the classifier, kept apart from its training corpus
// (lib/chat/nlu/corpus/; test/unit/nlu-overlap.test.ts fails on any overlap).

export const STYLES = ["plain", "typo", "slang", "indirect", "short"] as const;
export type Style = (typeof STYLES)[number];

export interface EvalUtterance {
  text: string;
  style: Style;
  /** Every ask the sentence makes, in any order. */
  intents: Intent[];
}

export const u = (text: string, style: Style, ...intents: [Intent, ...Intent[]]): EvalUtterance => ({ text, style, intents });
