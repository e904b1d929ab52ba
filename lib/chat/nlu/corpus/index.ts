import type { Language } from "../../language";
import { INTENTS, type Utterances } from "../labels";
import { de } from "./de";
import { deVaried } from "./de-varied";
import { en } from "./en";
import { enVaried } from "./en-varied";
import { es } from "./es";
import { esVaried } from "./es-varied";
import { fr } from "./fr";
import { frVaried } from "./fr-varied";
import { pt } from "./pt";
import { ptVaried } from "./pt-varied";

const merge = (...parts: Utterances[]): Utterances =>
  Object.fromEntries(INTENTS.map((intent) => [intent, parts.flatMap((part) => part[intent])])) as unknown as Utterances;

/** The classifier's training sentences, by language and intent. */
export const TRAINING: Record<Language, Utterances> = {
  en: merge(en, enVaried),
  es: merge(es, esVaried),
  fr: merge(fr, frVaried),
  de: merge(de, deVaried),
  pt: merge(pt, ptVaried),
};
