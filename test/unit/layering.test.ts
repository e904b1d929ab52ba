// The layering rules in eslint.config.mjs (shared/DESIGN.md): each one fires on a planted violation
// and stays quiet on an allowed import. Nothing is written to disk: lintText lints the code as if it
// lived at `filePath`, so the folders need not exist.
import path from "node:path";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const LAYERING_RULES = new Set(["no-restricted-imports", "no-restricted-syntax"]);

const PURE = "lib/lifecycle is pure";
const NO_APP = "never import app/";
const ACK_FIRST = "Acknowledge first, act in the worker";
const NO_TEST = "Nothing outside test/ imports test/";
const JOBS_CORE = "must not know what its jobs do";

type Case = [filePath: string, code: string];

const violations: [...Case, expected: string][] = [
  // 1. lib/lifecycle is pure (and so gets rules 2-5 too).
  ["lib/lifecycle/planted.ts", `import fs from "node:fs";`, PURE],
  ["lib/lifecycle/planted.ts", `import { readFileSync } from "fs";`, PURE],
  ["lib/lifecycle/planted.ts", `import { enqueue } from "../jobs/queue";`, PURE],
  ["lib/lifecycle/planted.ts", `import { ingest } from "../webhooks/ledger";`, PURE],
  ["lib/lifecycle/planted.ts", `import type { Customer } from "../generated/prisma/client";`, PURE],
  ["lib/lifecycle/planted.ts", `import { env } from "@/lib/config";`, PURE],
  ["lib/lifecycle/planted.ts", `import pino from "pino";`, PURE],
  ["lib/lifecycle/planted.ts", `import { x } from "./../webhooks/stripe";`, PURE],
  ["lib/lifecycle/planted.ts", `export * from "../record/read";`, PURE],
  ["lib/lifecycle/planted.ts", `import Page from "@/app/page";`, PURE],
  ["lib/lifecycle/planted.ts", `import { db } from "../../test/helpers/db";`, PURE],
  ["lib/lifecycle/planted.ts", `export const load = () => import("node:fs");`, PURE],
  // 2. lib/ and tools/ never import app/.
  ["lib/planted.ts", `import Page from "@/app/page";`, NO_APP],
  ["lib/chat/planted.ts", `import { POST } from "../../app/api/chat/route";`, NO_APP],
  ["lib/jobs/planted.ts", `import Layout from "@/app/layout";`, NO_APP],
  ["lib/webhooks/planted.ts", `import Page from "../../app/page";`, NO_APP],
  ["tools/planted.ts", `import Page from "../app/page";`, NO_APP],
  // 3. webhooks, chat and tools: acknowledge first, act in the worker.
  ["lib/chat/planted.ts", `import { circle } from "../integrations/circle";`, ACK_FIRST],
  ["lib/chat/planted.ts", `export const load = () => import("../integrations/circle");`, ACK_FIRST],
  ["lib/webhooks/planted.ts", `import { kit } from "@/lib/integrations/kit";`, ACK_FIRST],
  ["lib/webhooks/planted.ts", `import { fakeKit } from "../sandbox/kit";`, ACK_FIRST],
  ["tools/planted.ts", `import { kit } from "../lib/integrations/kit";`, ACK_FIRST],
  ["tools/planted.ts", `import { fakeCircle } from "@/lib/sandbox/circle";`, ACK_FIRST],
  // 4. Nothing outside test/ imports test/.
  ["scripts/planted.ts", `import { db } from "../test/helpers/db";`, NO_TEST],
  ["evals/planted.ts", `import { stack } from "../test/helpers/stack";`, NO_TEST],
  ["prisma/planted.ts", `import { fake } from "../test/fakes/circle";`, NO_TEST],
  ["lib/planted.ts", `import { db } from "@/test/helpers/db";`, NO_TEST],
  ["lib/sandbox/planted.ts", `import { server } from "../../test/fakes/server";`, NO_TEST],
  ["lib/webhooks/planted.ts", `import { db } from "../../test/helpers/db";`, NO_TEST],
  ["lib/jobs/planted.ts", `import { db } from "@/test/helpers/db";`, NO_TEST],
  ["tools/planted.ts", `import { db } from "../test/helpers/db";`, NO_TEST],
  ["app/api/chat/planted.ts", `import { db } from "../../../test/helpers/db";`, NO_TEST],
  ["planted.ts", `import { db } from "./test/helpers/db";`, NO_TEST],
  ["scripts/planted.ts", `export const load = () => import("../test/helpers/db");`, NO_TEST],
  // 5. The outbox core does not know what its jobs do (the folders need not exist).
  ["lib/jobs/planted.ts", `import { store } from "../record/store";`, JOBS_CORE],
  ["lib/jobs/planted.ts", `import { handlers } from "../effects/handlers";`, JOBS_CORE],
  ["lib/jobs/planted.ts", `import { circle } from "../integrations/circle";`, JOBS_CORE],
  ["lib/jobs/planted.ts", `import { fakeKit } from "@/lib/sandbox/kit";`, JOBS_CORE],
  ["lib/jobs/planted.ts", `import { handlers } from "../../lib/effects/handlers";`, JOBS_CORE],
];

const allowed: Case[] = [
  // 1. Inside lib/lifecycle and zod.
  ["lib/lifecycle/planted.ts", `import { z } from "zod";`],
  ["lib/lifecycle/planted.ts", `import { x } from "./events";`],
  ["lib/lifecycle/planted.ts", `import type { Provider } from "./states";`],
  ["lib/lifecycle/planted.ts", `import catalog from "./plan-catalog.json";`],
  ["lib/lifecycle/planted.ts", `export * from "./fold";`],
  // 2. app/ may import app/; lib may import packages whose path merely contains "app".
  ["app/planted.ts", `import Page from "@/app/page";`],
  ["lib/planted.ts", `import type { AppProps } from "next/app";`],
  ["lib/planted.ts", `import { env } from "./config";`],
  // 3. The worker side may call out; the acknowledging side may enqueue.
  ["lib/effects/planted.ts", `import { circle } from "../integrations/circle";`],
  ["lib/reconcile/planted.ts", `import { circle } from "@/lib/integrations/circle";`],
  ["lib/chat/planted.ts", `import { enqueue } from "../jobs/queue";`],
  ["tools/planted.ts", `import { read } from "../lib/record/read";`],
  // 4. test/ may import test/ (and anything else).
  ["test/unit/planted.ts", `import { db } from "../helpers/db";`],
  ["test/integration/planted.ts", `import { stack } from "@/test/helpers/stack";`],
  ["test/helpers/planted.ts", `import { kit } from "../../lib/integrations/kit";`],
  // 5. The outbox core may use its own files and the shared infrastructure.
  ["lib/jobs/planted.ts", `import { claim } from "./queue";`],
  ["lib/jobs/planted.ts", `import { log } from "../log";`],
  ["lib/jobs/planted.ts", `import { z } from "zod";`],
];

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: repoRoot });
});

/** Layering messages, plus anything without a rule (a parse error or "file ignored"), which would void the check. */
async function layeringMessages(filePath: string, code: string) {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: path.join(repoRoot, filePath) });
  return result!.messages.filter((m) => m.ruleId === null || LAYERING_RULES.has(m.ruleId));
}

describe("layering rules (eslint.config.mjs)", () => {
  it.each(violations)("%s: `%s` is an error (%s)", async (filePath, code, expected) => {
    const messages = await layeringMessages(filePath, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ severity: 2, ruleId: expect.stringMatching(/^no-restricted-/) });
    expect(messages[0]!.message).toContain(expected);
  });

  it.each(allowed)("%s: `%s` is allowed", async (filePath, code) => {
    expect(await layeringMessages(filePath, code)).toEqual([]);
  });
});
