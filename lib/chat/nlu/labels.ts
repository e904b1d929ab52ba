// The asks the offline model understands. Client-safe and dependency-free: the corpus, the
// eval sentences and the classifier all share this list.

export const INTENTS = [
  /** Trying to talk the bot out of its rules: other customers' data, free access, its instructions. */
  "injection",
  /** Asking after a ticket that exists (its status, an answer), not for a new one. */
  "ticket",
  /** Wants a person. */
  "human",
  /** Wants the community invitation sent again. */
  "resend",
  "refund",
  "cancel",
  /** Can't get into the community, where is the invite. */
  "access",
  /** Payment, charge, card, membership status. */
  "billing",
  /** Paid or signed up with another email address: the team links it. */
  "wrongEmail",
  /** Hello, thanks. */
  "greeting",
  /** "yes", "do it", "go ahead": agrees to what the bot offered. */
  "affirm",
  /** Out of scope. */
  "unknown",
] as const;
export type Intent = (typeof INTENTS)[number];

/** Training or evaluation sentences, by intent. */
export type Utterances = Record<Intent, readonly string[]>;
