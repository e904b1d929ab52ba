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
