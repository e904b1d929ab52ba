import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModel } from "ai";
import type { Env } from "../config";
import { createOfflineModel } from "./offline-model";

/**
 * With OPENAI_API_KEY: an OpenAI-compatible chat model (the Chat Completions API, which vLLM,
 * Ollama and llama.cpp servers speak too). Without: the built-in offline model.
 */
export function chooseChatModel(config: Pick<Env, "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "OPENAI_MODEL">): LanguageModel {
  if (!config.OPENAI_API_KEY) return createOfflineModel();
  const openai = createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL });
  return openai.chat(config.OPENAI_MODEL);
}
