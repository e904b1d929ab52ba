import { containerBootstrap } from "@nlpjs/core";
import { LangDe } from "@nlpjs/lang-de";
import { LangEn } from "@nlpjs/lang-en";
import { LangEs } from "@nlpjs/lang-es";
import { LangFr } from "@nlpjs/lang-fr";
import { LangPt } from "@nlpjs/lang-pt";
import { Nlp } from "@nlpjs/nlp";
import { LANGUAGES, type Language } from "../language";
import { TRAINING } from "./corpus";
import { INTENTS, type Intent, type Utterances } from "./labels";
import { trainNgramModel, type NgramModel } from "./ngrams";
import { buildSpeller, familiarity, type Speller } from "./spelling";
import { maskEmails } from "./text";

// The offline model's intent classifier, on NLP.js: a library built for chatbot intents, with a
// tokenizer, stemmer and stopwords per language for the five we speak, a small neural classifier
// that trains in-process in a few seconds from the sentences in ./corpus, and no weights to
// download, so the offline model still runs with no network. Its scores are blended with a letter
// n-gram model's (./ngrams.ts), which still recognises words NLP.js's stems miss: compounds,
// clitics, slang spellings and typos. Both are trained once per process, on first use (the web
// server's start-up, instrumentation.ts), and kept.

export interface Scored {
  intent: Intent;
  /** The classifier's confidence, 0 to 1. */
  score: number;
}

export interface Classification extends Scored {
  /** Every intent's score, best first. */
  ranked: Scored[];
}

export interface Classifier {
  classify(text: string, language: Language): Promise<Classification>;
  /** The share of the text's words that the language's corpus uses (0 to 1). */
  familiarity(text: string, language: Language): number;
}

// Spell checking against the corpus's own words: "resnd" and "invitaton" reach the stems of "resend" and "invitation".
const PROCESS_SETTINGS = { spellCheck: true, spellCheckDistance: 1 };

/** How much of a score is NLP.js's, the rest the letter n-gram model's (chosen by cross-validation on the corpus: `npm run bench:nlu -- --cv`). */
export const NLPJS_WEIGHT = 0.2;

export async function trainClassifier(training: Record<Language, Utterances> = TRAINING): Promise<Classifier> {
  const container = containerBootstrap();
  for (const plugin of [Nlp, LangEn, LangEs, LangFr, LangDe, LangPt]) container.use(plugin);
  // log: false silences NLP.js's per-epoch training lines; autoSave: false keeps model.nlp off the disk.
  const nlp = new Nlp({ container, languages: [...LANGUAGES], autoSave: false, autoLoad: false, nlu: { log: false } });
  const spellers = {} as Record<Language, Speller>;
  const ngrams = {} as Record<Language, NgramModel<Intent>>;
  for (const language of LANGUAGES) {
    const sentences = INTENTS.flatMap((intent) => training[language][intent].map(maskEmails));
    spellers[language] = buildSpeller(sentences);
    for (const intent of INTENTS) for (const sentence of training[language][intent]) nlp.addDocument(language, spellers[language].correct(maskEmails(sentence)), intent);
    ngrams[language] = trainNgramModel(INTENTS.flatMap((intent) => training[language][intent].map((sentence) => ({ text: maskEmails(sentence), label: intent }))), INTENTS);
  }
  await nlp.train();
  // Each language's spellers of the other four, built once: the language guess asks five times a message.
  const othersOf = Object.fromEntries(LANGUAGES.map((language) => [language, LANGUAGES.filter((other) => other !== language).map((other) => spellers[other])])) as Record<
    Language,
    Speller[]
  >;
  return {
    familiarity: (text, language) => familiarity(maskEmails(text), spellers[language], othersOf[language]),
    async classify(text, language) {
      const corrected = spellers[language].correct(maskEmails(text));
      const result = await nlp.classify(language, corrected, PROCESS_SETTINGS);
      const nlpjs = new Map(result.classifications.map((c) => [c.intent, c.score]));
      // The n-gram model reads both the words as typed and as corrected: a correction it can
      // confirm ("oal" -> "ola") helps, and one that went wrong still leaves the typed letters.
      const letters = ngrams[language].predict(`${maskEmails(text)} ${corrected}`);
      const ranked = INTENTS.map((intent, i) => ({ intent, score: NLPJS_WEIGHT * (nlpjs.get(intent) ?? 0) + (1 - NLPJS_WEIGHT) * letters[i]! }))
        .filter((c) => c.score > 0)
        .sort((a, b) => b.score - a.score);
      const best = ranked[0];
      return best ? { ...best, ranked } : { intent: "unknown", score: 0, ranked };
    },
  };
}

let shared: Promise<Classifier> | undefined;

/** The process's classifier, trained from the repo's corpus on first use (and again on the next use if training failed). */
export function classifier(): Promise<Classifier> {
  shared ??= trainClassifier().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
