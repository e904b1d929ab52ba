import { createOpenAI } from "@ai-sdk/openai";
import { generateText } from "ai";
import { z } from "zod";

// An optional second opinion on replies: an LLM, reached through any OpenAI-compatible chat
// completions endpoint, reads a reply with the facts it must state and the claims it must not
// make, and returns a verdict. The rule-based scorer stays the gate; the report shows where the
// two disagree. Configured by EVAL_JUDGE_BASE_URL and EVAL_JUDGE_MODEL (EVAL_JUDGE_API_KEY optional).

export interface JudgeInput {
  reply: string;
  language?: string;
  facts: string[];
  forbidden: string[];
}

export interface JudgeVerdict {
  pass: boolean;
  failures: string[];
}

export interface Judge {
  /** The model that judges, for the report. */
  model: string;
  score(input: JudgeInput): Promise<JudgeVerdict>;
}

const judgeEnv = z.object({
  EVAL_JUDGE_BASE_URL: z.url({ protocol: /^https?$/, error: "EVAL_JUDGE_BASE_URL must be an http(s) URL" }),
  EVAL_JUDGE_MODEL: z.string().trim().min(1, "EVAL_JUDGE_MODEL must name a model"),
  EVAL_JUDGE_API_KEY: z.string().optional(),
});

const verdictSchema = z.object({ pass: z.boolean(), failures: z.array(z.string()).default([]) });

const SYSTEM = [
  "You grade one reply of a customer-support assistant. You are given the reply, the facts it must communicate and the claims it must not make.",
  "A fact counts when the reply states it in any wording or language; it does not count when the reply negates it, only offers or conditions it, or asks about it.",
  "A forbidden claim counts when the reply asserts or promises it in any wording or language; a denial or a condition is not the claim.",
  'Answer with one JSON object and nothing else: {"pass": boolean, "failures": string[]}, where failures lists each missing fact as "does not state: <fact>" and each claim made as "claims: <claim>", and pass is true exactly when failures is empty.',
].join("\n");

/** The judge's answer as a verdict; a clear error when it is not one. */
export function parseVerdict(text: string): JudgeVerdict {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start === -1 || end < start) throw new Error(`the judge did not answer with a JSON verdict (got: ${text.slice(0, 120)})`);
  let json: unknown;
  try {
    json = JSON.parse(text.slice(start, end + 1));
  } catch {
    throw new Error(`the judge's verdict is not valid JSON (got: ${text.slice(0, 120)})`);
  }
  const parsed = verdictSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the judge's verdict has the wrong shape: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "verdict"}: ${issue.message}`).join("; ")}`);
  // A verdict that passes with failures listed, or fails with none, is taken at its failures.
  return { pass: parsed.data.failures.length === 0 && parsed.data.pass, failures: parsed.data.failures };
}

/** The configured judge, or null when EVAL_JUDGE_BASE_URL and EVAL_JUDGE_MODEL are not both set. */
// Takes process.env or any plain map of variables (NodeJS.ProcessEnv as typed by Next requires NODE_ENV).
export function createJudge(env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>): Judge | null {
  if (!env.EVAL_JUDGE_BASE_URL || !env.EVAL_JUDGE_MODEL) return null;
  const parsed = judgeEnv.safeParse(env);
  if (!parsed.success) throw new Error(`judge configuration: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  const config = parsed.data;
  const provider = createOpenAI({ baseURL: config.EVAL_JUDGE_BASE_URL, apiKey: config.EVAL_JUDGE_API_KEY ?? "no-key", name: "eval-judge" });
  const model = provider.chat(config.EVAL_JUDGE_MODEL);
  return {
    model: config.EVAL_JUDGE_MODEL,
    async score(input) {
      const prompt = JSON.stringify(
        { reply: input.reply, replyLanguage: input.language ?? "unknown", mustState: input.facts, mustNotClaim: input.forbidden },
        null,
        2,
      );
      const { text } = await generateText({ model, system: SYSTEM, prompt, temperature: 0, maxRetries: 1 });
      return parseVerdict(text);
    },
  };
}
