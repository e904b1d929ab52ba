import { generateText, type LanguageModel, type ModelMessage } from "ai";

// An LLM that plays the customer, tau2-style: it is given the scenario's goal (the customer
// sentences the scenario scripts, in order) and the conversation so far, and writes the
// customer's next message in its own words, or ends the conversation once the goal is met.
// It knows only what a customer would: its goal and what the bot said; never the record.

/** The word the simulator answers with when the conversation is over. */
export const STOP = "###STOP###";

export interface Exchange {
  customer: string;
  bot: string;
}

export interface UserSimulator {
  /** The customer's next message, or null when the goal is met. */
  next(goal: string[], transcript: Exchange[]): Promise<string | null>;
}

/** The simulator's instructions for a goal (pure, so tests and the report can show them). */
export function simulatorInstructions(goal: string[]): string {
  const steps = goal.map((say, index) => `${index + 1}. ${say}`).join("\n");
  return `You are role-playing a customer of a membership business (a paid online community) who is chatting with its support assistant. You are the customer, not the assistant.

Your goal, in this order (these are examples of what you want, not lines to copy):
${steps}

How to play:
- Write only the customer's next message: one or two short sentences, in the language and the tone of the examples, in your own words.
- Pursue one part of the goal at a time, in order; move on when the assistant has answered it (or handed it to a person).
- Do not invent account details, order numbers or dates you were not told. Do not ask for anything outside your goal.
- When every part of your goal has been answered, or the assistant cannot go further, reply with exactly ${STOP} and nothing else.`;
}

/** The conversation from the customer's side: the customer is the assistant role here, the bot the user role. */
export function simulatorMessages(transcript: Exchange[]): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: "user", content: "(The support chat is open. Write your first message.)" }];
  for (const exchange of transcript) {
    messages.push({ role: "assistant", content: exchange.customer });
    messages.push({ role: "user", content: exchange.bot.trim() === "" ? "(The assistant sent no text.)" : exchange.bot });
  }
  return messages;
}

/** The customer's message out of the model's text: null for the stop word (or nothing at all). */
export function parseSimulatorReply(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.includes(STOP)) return null;
  return trimmed.slice(0, 2_000);
}

export function createUserSimulator(model: LanguageModel): UserSimulator {
  return {
    async next(goal, transcript) {
      const result = await generateText({ model, system: simulatorInstructions(goal), messages: simulatorMessages(transcript), temperature: 0.7, maxOutputTokens: 200 });
      return parseSimulatorReply(result.text);
    },
  };
}
