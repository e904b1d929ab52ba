import { z } from "zod";

// The eval's environment: which chat model (the same variables as the product), which test
// database (TEST_DB, as the test suite), parsed once.

const blankIsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

export const evalEnv = z
  .object({
    OPENAI_API_KEY: z.preprocess(blankIsUnset, z.string().optional()),
    OPENAI_BASE_URL: z.preprocess(blankIsUnset, z.url().optional()),
    OPENAI_MODEL: z.string().default("gpt-4o-mini"),
    TEST_DB: z.enum(["pglite", "postgres"]).default("pglite"),
  })
  .parse(process.env);

export const modelLabel = evalEnv.OPENAI_API_KEY
  ? `${evalEnv.OPENAI_MODEL} (OpenAI-compatible, ${evalEnv.OPENAI_BASE_URL ?? "api.openai.com"})`
  : "offline-intents-v1 (built-in, deterministic)";
