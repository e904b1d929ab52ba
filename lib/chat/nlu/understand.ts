import { isLongEnoughToGuess, LANGUAGES, trigramScores, type Language } from "../language";
import type { Classification, Classifier, Scored } from "./classifier";
import type { Intent } from "./labels";
import { words } from "./spelling";
import { emailsIn, splitClauses } from "./text";

// From a message to the asks it makes: its language, the whole message classified, and each
// clause classified on its own so that two asks in one message are both seen.

export interface Understanding {
  language: Language;
  /** What the customer asks for, in the order they asked; ["unknown"] when nothing was understood. */
  asks: Intent[];
  /** True when the classifier was not sure: the reply asks which of the things it can do is meant. */
  unsure: boolean;
  /** Email addresses typed in the message (never looked up; a different-address ask opens a ticket). */
  emails: string[];
}

/** Two clauses are two asks only when each is this clear on its own. */
export const CLAUSE_CONFIDENCE = 0.85;
/**
 * Below this the message is not understood, and the reply asks which ask is meant. The blended
 * scores (classifier.ts) are flatter than NLP.js's alone; 0.3 is where cross-validation on the
 * corpus, out-of-scope sentences included, was best (0.4 and 0.5 understood fewer).
 */
export const MESSAGE_CONFIDENCE = 0.3;

/** A clause this clear is an ask of its own when the same ask is among the whole message's two likeliest, at WHOLE_SUPPORT or more. */
export const SUPPORTED_CLAUSE_CONFIDENCE = 0.5;
export const WHOLE_SUPPORT = 0.1;

const LONE_VERB_LETTERS = 6;

/**
 * How many words a clause has for deciding whether it can be an ask on its own: clitics count
 * ("renvoyez-moi l'invitation" is four), and one long word can be a whole imperative ("reenvíamela").
 */
export function clauseLength(clause: string): number {
  const parts = words(clause).flatMap((word) => word.split(/['’-]+/u)).filter((part) => part.length > 1);
  return parts.length === 1 && parts[0]!.length >= LONE_VERB_LETTERS ? 2 : parts.length;
}

/** The same for a clause of two words. */
export const SHORT_CLAUSE_CONFIDENCE = 0.95;

const distinct = (scored: Scored[]) => scored.filter((item, index) => scored.findIndex((other) => other.intent === item.intent) === index);

/** Asks that mean something only when they are the whole message. */
const FILLER: ReadonlySet<Intent> = new Set(["greeting", "affirm", "unknown"]);
/**
 * Asks a clause is too weak a signal for when the message asks something else: asking after a
 * ticket is read from the whole message only ("still nothing", "yesterday" lean towards it).
 */
const WHOLE_MESSAGE_ONLY: ReadonlySet<Intent> = new Set([...FILLER, "ticket"]);

/**
 * The message's language: the trigram guess (reliable on longer text), how many of its words
 * each language's corpus uses (reliable on short domain text: "zahlung ok?"), and the
 * conversation's language so far (a tie-breaker for "ok", "yes").
 */
export function chooseLanguage(classifier: Classifier, text: string, conversationLanguage?: Language): Language {
  const trigrams = trigramScores(text);
  const trigramWeight = isLongEnoughToGuess(text) ? 1 : 0.3;
  let best: Language = conversationLanguage ?? "en";
  let bestScore = -1;
  for (const language of LANGUAGES) {
    const score = trigramWeight * trigrams[language] + 1.5 * classifier.familiarity(text, language) + (language === conversationLanguage ? 0.4 : 0);
    if (score > bestScore) {
      best = language;
      bestScore = score;
    }
  }
  return best;
}

/**
 * What a message asks for. `conversationLanguage` is the language the conversation has been in
 * (undefined on its first message).
 */
export async function understand(classifier: Classifier, text: string, conversationLanguage?: Language): Promise<Understanding> {
  const emails = emailsIn(text);
  let language = chooseLanguage(classifier, text, conversationLanguage);
  let whole: Classification = await classifier.classify(text, language);
  if (whole.score < MESSAGE_CONFIDENCE && !isLongEnoughToGuess(text)) {
    // Words no corpus knows as written ("grasias", "mrci") leave the language guess weak: the
    // language whose classifier is sure wins, and answers, unless the conversation already has one.
    for (const other of LANGUAGES) {
      if (other === language) continue;
      const scored = await classifier.classify(text, other);
      if (scored.score >= MESSAGE_CONFIDENCE && scored.score > whole.score && scored.intent !== "unknown") {
        whole = scored;
        if (conversationLanguage === undefined) language = other;
      }
    }
  }
  const clauses = splitClauses(text, language);
  const clausal: Array<Scored & { short: boolean }> = [];
  if (clauses.length > 1) {
    // One word is too little evidence for an ask of its own ("now", "no"), and two words need a
    // surer classifier ("resend it" is an ask, "still nothing" is not); all count in the whole message.
    for (const clause of clauses) {
      const count = clauseLength(clause);
      if (count >= 2) clausal.push({ ...(await classifier.classify(clause, language)), short: count === 2 });
    }
  }
  // A clause is an ask of its own when it is clear alone, or fairly clear and the whole message
  // also reads that way: that ask is one of the whole message's two likeliest.
  const supported = (intent: Intent) => whole.ranked.slice(0, 2).some((scored) => scored.intent === intent && scored.score >= WHOLE_SUPPORT);
  const clear = distinct(
    clausal.filter((c) => c.score >= (c.short ? SHORT_CLAUSE_CONFIDENCE : CLAUSE_CONFIDENCE) || (c.score >= SUPPORTED_CLAUSE_CONFIDENCE && supported(c.intent))),
  );
  // An attempt to get round the rules is answered as that alone, whatever else the message asks.
  if (clear.some((c) => c.intent === "injection") || (whole.intent === "injection" && whole.score >= MESSAGE_CONFIDENCE)) {
    return { language, asks: ["injection"], unsure: false, emails };
  }
  const asks = clear.filter((c) => !WHOLE_MESSAGE_ONLY.has(c.intent)).map((c) => c.intent);
  if (asks.length > 1) return { language, asks, unsure: false, emails };
  if (whole.score >= MESSAGE_CONFIDENCE && !FILLER.has(whole.intent)) return { language, asks: [whole.intent], unsure: false, emails };
  // Unsure of the whole, but one of its clauses reads the same: two readings agreeing is evidence enough.
  if (!FILLER.has(whole.intent) && clausal.some((c) => c.intent === whole.intent)) return { language, asks: [whole.intent], unsure: false, emails };
  // "Thanks. Can I get into the community now?": a politeness around the ask does not hide it,
  // but a clause overrules a whole message read as "yes" or "thanks" only when it is surer than that reading.
  const plausible = distinct(clausal.filter((c) => c.score >= Math.max(MESSAGE_CONFIDENCE, whole.score) && !WHOLE_MESSAGE_ONLY.has(c.intent))).map((c) => c.intent);
  if (plausible.length > 0) return { language, asks: plausible, unsure: false, emails };
  if (whole.score >= MESSAGE_CONFIDENCE) return { language, asks: [whole.intent], unsure: false, emails };
  return { language, asks: ["unknown"], unsure: true, emails };
}
