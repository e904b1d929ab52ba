import { LANGUAGES, type Language } from "../../language";
import { INTENTS, type Utterances } from "../labels";
import { de } from "./de";
import { deEveryday } from "./de-everyday";
import { deFamilies } from "./de-families";
import { deVaried } from "./de-varied";
import { en } from "./en";
import { enEveryday } from "./en-everyday";
import { enFamilies } from "./en-families";
import { enVaried } from "./en-varied";
import { es } from "./es";
import { esEveryday } from "./es-everyday";
import { esFamilies } from "./es-families";
import { esVaried } from "./es-varied";
import { fr } from "./fr";
import { frEveryday } from "./fr-everyday";
import { frFamilies } from "./fr-families";
import { frVaried } from "./fr-varied";
import { pt } from "./pt";
import { ptEveryday } from "./pt-everyday";
import { ptFamilies } from "./pt-families";
import { ptVaried } from "./pt-varied";

const merge = (...parts: Utterances[]): Utterances =>
  Object.fromEntries(INTENTS.map((intent) => [intent, parts.flatMap((part) => part[intent])])) as unknown as Utterances;

/** The first sentences, by language and intent. */
export const EARLIER: Record<Language, Utterances> = {
  en: merge(en, enVaried, enFamilies),
  es: merge(es, esVaried, esFamilies),
  fr: merge(fr, frVaried, frFamilies),
  de: merge(de, deVaried, deFamilies),
  pt: merge(pt, ptVaried, ptFamilies),
};

/**
 * Sentences written later, apart, by writers who never saw the eval sentences: kept apart so that
 * cross-validation (`npm run bench:nlu -- --cv`) can say what they add on the same held-out sentences.
 */
export const EVERYDAY: Record<Language, Utterances> = { en: enEveryday, es: esEveryday, fr: frEveryday, de: deEveryday, pt: ptEveryday };

/** The classifier's training sentences, by language and intent. */
export const TRAINING: Record<Language, Utterances> = Object.fromEntries(LANGUAGES.map((language) => [language, merge(EARLIER[language], EVERYDAY[language])])) as Record<
  Language,
  Utterances
>;
