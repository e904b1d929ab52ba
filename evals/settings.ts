import type { LanguageModel } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { z } from "zod";
import { chooseChatModel } from "../lib/chat/model";

// The eval's environment, parsed once: which chat model (the product's own OPENAI_* variables,
// read the same way the product reads them), the optional LLM that plays the customer
// (EVAL_USER_*), and which test database (TEST_DB, as the test suite).

const blankIsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const optionalString = z.preprocess(blankIsUnset, z.string().optional());
const optionalUrl = z.preprocess(blankIsUnset, z.url().optional());

export const evalEnvSchema = z.object({
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: z.preprocess(blankIsUnset, z.string().default("gpt-4o-mini")),
  /** Which model the suite runs: `auto` is what the product would pick (a key: the hosted model). Set by `--model`. */
  EVAL_MODEL: z.preprocess(blankIsUnset, z.enum(["auto", "openai", "offline"]).default("auto")),
  /** The LLM that plays the customer in multi-turn scenarios; unset: the scenarios' own sentences. */
  EVAL_USER_MODEL: optionalString,
  EVAL_USER_BASE_URL: optionalUrl,
  EVAL_USER_API_KEY: optionalString,
  /** The most messages the simulated customer sends in one conversation. */
  EVAL_USER_MAX_TURNS: z.preprocess(blankIsUnset, z.coerce.number().int().min(1).max(20).default(6)),
  TEST_DB: z.enum(["pglite", "postgres"]).default("pglite"),
});
export type EvalEnv = z.infer<typeof evalEnvSchema>;

/** What the report says about a model: never its key, and of its URL only the host. */
export interface ModelInfo {
  provider: "offline" | "openai-compatible";
  id: string;
  /** The server's host (and port), without credentials, path or query; null for the offline model. */
  host: string | null;
  label: string;
}

const OPENAI_DEFAULT_BASE = "https://api.openai.com/v1";
const OFFLINE_ID = "offline (built-in NLU, deterministic)";

/** The host of a base URL, without user, password, path or query. */
export const hostOf = (baseUrl: string | undefined) => new URL(baseUrl ?? OPENAI_DEFAULT_BASE).host;

export class EvalSettingsError extends Error {}

/** The chat model the suite runs and how the report names it. */
export function resolveChatModel(env: EvalEnv): { model: LanguageModel; info: ModelInfo } {
  const hosted = env.EVAL_MODEL === "openai" || (env.EVAL_MODEL === "auto" && env.OPENAI_API_KEY !== undefined);
  if (!hosted) {
    return {
      model: chooseChatModel({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, OPENAI_MODEL: env.OPENAI_MODEL }),
      info: { provider: "offline", id: OFFLINE_ID, host: null, label: OFFLINE_ID },
    };
  }
  if (!env.OPENAI_API_KEY) {
    throw new EvalSettingsError("--model openai needs OPENAI_API_KEY (any non-empty value for a local server that takes none), and OPENAI_BASE_URL for a server other than OpenAI's");
  }
  const host = hostOf(env.OPENAI_BASE_URL);
  return {
    model: chooseChatModel({ OPENAI_API_KEY: env.OPENAI_API_KEY, OPENAI_BASE_URL: env.OPENAI_BASE_URL, OPENAI_MODEL: env.OPENAI_MODEL }),
    info: { provider: "openai-compatible", id: env.OPENAI_MODEL, host, label: `${env.OPENAI_MODEL} (OpenAI-compatible, ${host})` },
  };
}

/** The customer simulator's model (same server and key as the chat model unless EVAL_USER_* say otherwise), or null. */
export function resolveUserModel(env: EvalEnv): { model: LanguageModel; info: ModelInfo; maxTurns: number } | null {
  if (!env.EVAL_USER_MODEL) return null;
  const apiKey = env.EVAL_USER_API_KEY ?? env.OPENAI_API_KEY;
  if (!apiKey) throw new EvalSettingsError("EVAL_USER_MODEL needs EVAL_USER_API_KEY or OPENAI_API_KEY");
  const baseURL = env.EVAL_USER_BASE_URL ?? env.OPENAI_BASE_URL;
  const host = hostOf(baseURL);
  return {
    model: createOpenAI({ apiKey, baseURL }).chat(env.EVAL_USER_MODEL),
    info: { provider: "openai-compatible", id: env.EVAL_USER_MODEL, host, label: `${env.EVAL_USER_MODEL} (OpenAI-compatible, ${host})` },
    maxTurns: env.EVAL_USER_MAX_TURNS,
  };
}

export const evalEnv: EvalEnv = evalEnvSchema.parse(process.env);
