// NLP.js ships JavaScript without type declarations; these cover the parts this project calls.
declare module "@nlpjs/language" {
  export interface LanguageGuess {
    alpha3: string;
    alpha2: string;
    language: string;
    score: number;
  }
  export class Language {
    guess(utterance: string, allowList?: string[] | null, limit?: number): LanguageGuess[];
    guessBest(utterance: string, allowList?: string[] | null): LanguageGuess;
  }
}

declare module "@nlpjs/core" {
  export interface Container {
    use(plugin: unknown): void;
    get<T = unknown>(name: string, settings?: Record<string, unknown>): T;
  }
  export function containerBootstrap(settings?: Record<string, unknown>): Container;
}

declare module "@nlpjs/nlp" {
  import type { Container } from "@nlpjs/core";
  export interface Classification {
    intent: string;
    score: number;
  }
  export interface NluResult {
    locale: string;
    utterance: string;
    classifications: Classification[];
  }
  export class Nlp {
    constructor(settings?: { container?: Container; languages?: string[]; autoSave?: boolean; autoLoad?: boolean; nlu?: Record<string, unknown> });
    addLanguage(locales: string | string[]): void;
    addDocument(locale: string, utterance: string, intent: string): void;
    train(): Promise<unknown>;
    classify(locale: string, utterance: string, settings?: Record<string, unknown>): Promise<NluResult>;
  }
}

declare module "@nlpjs/lang-en" {
  export const LangEn: unknown;
}
declare module "@nlpjs/lang-es" {
  export const LangEs: unknown;
}
declare module "@nlpjs/lang-fr" {
  export const LangFr: unknown;
}
declare module "@nlpjs/lang-de" {
  export const LangDe: unknown;
}
declare module "@nlpjs/lang-pt" {
  export const LangPt: unknown;
}
