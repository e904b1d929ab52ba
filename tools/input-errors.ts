import type { ModelMessage } from "ai";
import type { z } from "zod";

// What the model is told when a tool call it made could not run. The AI SDK's own message for
// invalid input quotes the model's arguments back ("Type validation failed: Value: {...}"), which
// repeats whatever the model smuggled in (another customer's address) and buries the one thing
// it needs to fix. These are short and plain instead: which field is wrong and what it must be,
// never the values it sent. Pure: the handler applies it to each model step's messages.

/** A tool call of an earlier step, as the AI SDK recorded it (`invalid`: its input was refused). */
export interface StepToolCall {
  toolCallId: string;
  toolName: string;
  /** The parsed arguments, or the raw text when they were not JSON. */
  input: unknown;
  invalid?: boolean;
}

type InputSchemas = Record<string, z.ZodType>;

function keysOf(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

const list = (items: readonly unknown[]) => items.map(String).join(", ");

function describeIssue(toolName: string, schema: z.ZodType, input: unknown, issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join(".");
  switch (issue.code) {
    case "unrecognized_keys": {
      const fields = keysOf(schema);
      return fields.length === 0 ? `${toolName} takes no arguments` : `${toolName} takes only ${list(fields)}`;
    }
    case "invalid_value":
      return `${field} must be one of ${list(issue.values)}`;
    case "invalid_type": {
      if (field === "") return `the arguments must be a JSON ${issue.expected}`;
      const present = typeof input === "object" && input !== null && issue.path.length === 1 && String(issue.path[0]) in input;
      return present ? `${field} must be a ${issue.expected}` : `${field} is required`;
    }
    case "too_small":
      return issue.origin === "string" ? `${field} must be at least ${String(issue.minimum)} characters` : `${field} is too small`;
    case "too_big":
      return issue.origin === "string" ? `${field} must be at most ${String(issue.maximum)} characters` : `${field} is too large`;
    default:
      return `${field || "the input"} is not valid`;
  }
}

/** "Invalid input for openBillingTicket: category must be one of billing, access, …": no value the model sent. */
export function describeInvalidInput(toolName: string, input: unknown, schemas: InputSchemas): string {
  const schema = schemas[toolName];
  if (!schema) return `There is no tool named ${toolName}. The tools are ${list(Object.keys(schemas))}.`;
  if (typeof input === "string") return `Invalid input for ${toolName}: the arguments are not a JSON object.`;
  const parsed = schema.safeParse(input);
  if (parsed.success) return `Invalid input for ${toolName}.`;
  const reasons = [...new Set(parsed.error.issues.map((issue) => describeIssue(toolName, schema, input, issue)))];
  return `Invalid input for ${toolName}: ${reasons.join("; ")}.`;
}

/** A tool that ran and failed: the model learns that, not the failure's internals. */
const failedMessage = (toolName: string) => `${toolName} could not be completed just now. Tell the customer, and offer to pass the question to a person.`;

/**
 * The messages with every failed tool result replaced by a plain one: refused input by what was
 * wrong with it, a failure while running by a generic sentence.
 */
export function plainToolErrors(messages: ModelMessage[], calls: StepToolCall[], schemas: InputSchemas): ModelMessage[] {
  const byId = new Map(calls.map((call) => [call.toolCallId, call]));
  let changed = false;
  const rewritten = messages.map((message) => {
    if (message.role !== "tool") return message;
    const content = message.content.map((part) => {
      if (part.type !== "tool-result" || (part.output.type !== "error-text" && part.output.type !== "error-json")) return part;
      const call = byId.get(part.toolCallId);
      const value = call?.invalid ? describeInvalidInput(call.toolName, call.input, schemas) : failedMessage(part.toolName);
      changed = true;
      return { ...part, output: { type: "error-text" as const, value } };
    });
    return { ...message, content };
  });
  return changed ? rewritten : messages;
}
