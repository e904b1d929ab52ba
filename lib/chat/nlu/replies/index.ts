import type { Language } from "../../language";
import { de } from "./de";
import { en } from "./en";
import { es } from "./es";
import { fr } from "./fr";
import { pt } from "./pt";
import type { Replies } from "./types";

export type { Replies, TicketTopic } from "./types";

export const REPLIES: Record<Language, Replies> = { en, es, fr, de, pt };
