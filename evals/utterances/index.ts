import type { Language } from "../../lib/chat/language";
import { de } from "./de";
import { en } from "./en";
import { es } from "./es";
import { fr } from "./fr";
import { pt } from "./pt";
import type { EvalUtterance } from "./types";

export { STYLES, type EvalUtterance, type Style } from "./types";

/** The classifier's eval sentences, by the language they are written in. */
export const EVAL_UTTERANCES: Record<Language, EvalUtterance[]> = { en, es, fr, de, pt };
