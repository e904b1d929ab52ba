import type { LabeledReply } from "./corpus";
import { DE } from "./de";
import { EN } from "./en";
import { ES } from "./es";
import { FR } from "./fr";
import { HELD_OUT } from "./heldout";
import { HELD_OUT_VOICES } from "./heldout-voices";
import { PT } from "./pt";

/** Every labeled reply, in the five languages (the held-out sets last). */
export const LABELED_REPLIES: readonly LabeledReply[] = [...EN, ...ES, ...FR, ...DE, ...PT, ...HELD_OUT, ...HELD_OUT_VOICES];
