import type { Language } from "../../language";
import { INTENTS, type Utterances } from "../labels";
import { de } from "./de";
import { deFamilies } from "./de-families";
import { deVaried } from "./de-varied";
import { en } from "./en";
import { enFamilies } from "./en-families";
import { enVaried } from "./en-varied";
import { es } from "./es";
import { esFamilies } from "./es-families";
import { esVaried } from "./es-varied";
import { fr } from "./fr";
import { frFamilies } from "./fr-families";
import { frVaried } from "./fr-varied";
import { pt } from "./pt";
import { ptFamilies } from "./pt-families";
import { ptVaried } from "./pt-varied";

const merge = (...parts: Utterances[]): Utterances =>
  Object.fromEntries(INTENTS.map((intent) => [intent, parts.flatMap((part) => part[intent])])) as unknown as Utterances;

/** The classifier's training sentences, by language and intent. */
export const TRAINING: Record<Language, Utterances> = {
  en: merge(en, enVaried, enFamilies),
  es: merge(es, esVaried, esFamilies),
  fr: merge(fr, frVaried, frFamilies),
  de: merge(de, deVaried, deFamilies),
  pt: merge(pt, ptVaried, ptFamilies),
};
