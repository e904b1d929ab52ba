import type { Language } from "./language";
import { classifier } from "./nlu/classifier";
import { understand, type Understanding } from "./nlu/understand";

// What a customer's message asks for: the offline model acts on this; a real model reads the
// same messages on its own. The understanding itself is NLP.js's intent classifier trained on
// the corpus in ./nlu (see ./nlu/classifier.ts for why NLP.js); this is its one entry point.

export { INTENTS, type Intent } from "./nlu/labels";
export type { Understanding } from "./nlu/understand";

/**
 * The asks in a message and the language to answer in. `conversationLanguage` is the language
 * the conversation has been in so far (undefined on its first message).
 */
export async function classify(message: string, conversationLanguage?: Language): Promise<Understanding> {
  return understand(await classifier(), message, conversationLanguage);
}
