import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import type { TrialResult } from "./harness";
import { buildReport, renderMarkdown } from "./report";
import { scenarios } from "./scenarios";
import { voiceScenarios } from "./scenarios/voices";
import { createJudge } from "./judge";
import { evalEnv, hostOf, resolveChatModel, resolveUserModel, type EvalEnv, type ModelInfo } from "./settings";

// npm run eval [-- --model offline|openai --trials 8 --filter refund --workers 2 --out evals --gate]
// Runs every scenario `trials` times, each trial on a fresh database, spread over one child
// process per core, and writes report.md and report.json. With --gate it exits non-zero unless
// every trial passed (the test command runs it that way with the offline model), except the
// customers' own sentences (./scenarios/voices.ts): those measure understanding, and the gate
// holds their share at VOICES_FLOOR, the level the offline model has reached, so it cannot fall.
// --model openai runs the product's hosted-model path against the OpenAI-compatible server
// that OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL name (default: what the product would
// pick); EVAL_USER_MODEL adds the simulated customer (./user-simulator).

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "8" },
    filter: { type: "string" },
    workers: { type: "string", default: String(Math.max(1, os.availableParallelism())) },
    out: { type: "string", default: path.join(import.meta.dirname) },
    gate: { type: "boolean", default: false },
    model: { type: "string" },
  },
});
const options = z
  .object({
    trials: z.coerce.number().int().min(1).max(64),
    filter: z.string().optional(),
    workers: z.coerce.number().int().min(1).max(32),
    out: z.string().min(1),
    gate: z.boolean(),
    model: z.enum(["auto", "openai", "offline"]).optional(),
  })
  .parse(values);

// The children read the same settings: the choice of model travels in their environment.
const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "silent", ...(options.model ? { EVAL_MODEL: options.model } : {}) };
const settings: EvalEnv = { ...evalEnv, ...(options.model ? { EVAL_MODEL: options.model } : {}) };
let chatModel: ModelInfo;
let userModel: ReturnType<typeof resolveUserModel>;
let configuredJudge: ReturnType<typeof createJudge>;
try {
  chatModel = resolveChatModel(settings).info;
  userModel = resolveUserModel(settings);
  // The workers build their own judge from the same variables (EVAL_JUDGE_*); this names it.
  configuredJudge = createJudge(process.env);
} catch (error) {
  // Only configuration errors get here (settings and the judge's own zod parse): say them plainly.
  console.error(`eval: ${(error as Error).message}`);
  process.exit(2);
}
const judgeHost = configuredJudge ? hostOf(process.env.EVAL_JUDGE_BASE_URL) : null;
const judge: ModelInfo | null = configuredJudge
  ? { provider: "openai-compatible", id: configuredJudge.model, host: judgeHost, label: `${configuredJudge.model} (OpenAI-compatible, ${judgeHost})` }
  : null;

const selected = scenarios.filter((scenario) => !options.filter || scenario.id.includes(options.filter) || scenario.category === options.filter);
if (selected.length === 0) {
  console.error(`no scenario matches ${options.filter}`);
  process.exit(2);
}
const ks = [...new Set([1, 2, 4, 8, options.trials])].filter((k) => k <= options.trials).sort((a, b) => a - b);
const tasks = selected.flatMap((scenario) => Array.from({ length: options.trials }, (_, trial) => ({ scenario: scenario.id, trial: trial + 1 })));
const startedAt = new Date();
console.log(
  `eval: ${selected.length} scenarios x ${options.trials} trials on ${evalEnv.TEST_DB}, model ${chatModel.label}${userModel ? `, customer simulated by ${userModel.info.label}` : ""}${judge ? `, judged also by ${judge.label}` : ""}, ${options.workers} workers`,
);

/**
 * The share of the voices scenarios' trials the gate requires: the offline model passes 333 of
 * the 342 (97.4%); each miss is a sentence its classifier reads wrong (npm run bench:nlu). The
 * floor sits a scenario or two under that, so the model cannot get worse unnoticed.
 */
const VOICES_FLOOR = 0.965;
const voiceIds = new Set(voiceScenarios.map((scenario) => scenario.id));

const results: TrialResult[] = [];
let next = 0;

function runChild(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(path.join(import.meta.dirname, "trial-worker.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: childEnv,
    });
    const sendNext = () => {
      const task = tasks[next++];
      if (task) child.send(task);
      else child.send("stop");
    };
    child.on("message", (message: TrialResult | "ready") => {
      if (message !== "ready") {
        results.push(message);
        if (!message.passed) console.log(`FAIL ${message.scenario} #${message.trial}: ${message.failures.join("; ")}`);
        if (results.length % 50 === 0) console.log(`eval: ${results.length}/${tasks.length} trials`);
      }
      sendNext();
    });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`an eval worker exited with code ${code}`))));
  });
}

await Promise.all(Array.from({ length: Math.min(options.workers, tasks.length) }, runChild));

const report = buildReport(results, {
  model: chatModel,
  userSimulator: userModel ? { ...userModel.info, maxTurns: userModel.maxTurns } : null,
  judge,
  database: evalEnv.TEST_DB === "postgres" ? "PostgreSQL" : "PGlite (embedded)",
  trialsPerScenario: options.trials,
  ks,
  startedAt: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
}, selected);
fs.mkdirSync(options.out, { recursive: true });
fs.writeFileSync(path.join(options.out, "report.json"), JSON.stringify(report, null, 2) + "\n");
fs.writeFileSync(path.join(options.out, "report.md"), renderMarkdown(report));
const overall = report.overall;
console.log(
  `eval: ${overall.passedTrials}/${overall.trials} trials passed; ${Object.entries(overall.passHatK)
    .map(([k, value]) => `${k} ${(value * 100).toFixed(1)}%`)
    .join(", ")}; report in ${path.relative(process.cwd(), path.join(options.out, "report.md"))}`,
);
if (options.gate) {
  const [voices, others] = [results.filter((result) => voiceIds.has(result.scenario)), results.filter((result) => !voiceIds.has(result.scenario))];
  const failedOthers = others.filter((result) => !result.passed).length;
  const voicesShare = voices.length ? voices.filter((result) => result.passed).length / voices.length : 1;
  if (voices.length) console.log(`eval gate: customers' own sentences ${(voicesShare * 100).toFixed(1)}% of ${voices.length} trials (floor ${VOICES_FLOOR * 100}%)`);
  if (failedOthers > 0) console.error(`eval gate: ${failedOthers} trials outside the customers' own sentences failed; the gate needs 100% of them`);
  if (voicesShare < VOICES_FLOOR) console.error(`eval gate: the customers' own sentences passed ${(voicesShare * 100).toFixed(1)}%, under the floor of ${VOICES_FLOOR * 100}%`);
  if (failedOthers > 0 || voicesShare < VOICES_FLOOR) process.exit(1);
}
