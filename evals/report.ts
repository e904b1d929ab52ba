import type { JudgeDisagreement, TrialResult } from "./harness";
import { passHatK } from "./score";
import type { ModelInfo } from "./settings";

// Pure: trial results -> the report's figures (pass^k overall and per category) and its
// markdown, with every failing trial's transcript and expected/actual end state.

export interface CategoryFigures {
  category: string;
  scenarios: number;
  trials: number;
  passedTrials: number;
  passHatK: Record<string, number>;
}

export interface ReportMeta {
  /** The chat model under test: provider, model id, server host (never its key or full URL). */
  model: ModelInfo;
  /** The LLM that played the customer in multi-turn scenarios, or null (the scenarios' sentences). */
  userSimulator: (ModelInfo & { maxTurns: number }) | null;
  /** The LLM judge run beside the rules, or null. */
  judge: ModelInfo | null;
  database: string;
  trialsPerScenario: number;
  ks: number[];
  startedAt: string;
  durationSeconds: number;
}

export interface EvalReport extends ReportMeta {
  overall: CategoryFigures;
  /** Trials that failed on procedure (an unasked or repeated state-changing tool call). */
  procedureFailures: number;
  /** Simulated conversations, and how many ended because the simulator said the goal was met. */
  simulated: { trials: number; endedByGoal: number };
  judgeDisagreements: Array<JudgeDisagreement & { scenario: string; trial: number }>;
  categories: CategoryFigures[];
  scenarios: Array<{ id: string; category: string; description: string; passes: number; trials: number }>;
  failures: TrialResult[];
}

function figures(category: string, results: TrialResult[], trialsPerScenario: number, ks: number[]): CategoryFigures {
  const byScenario = new Map<string, { passes: number; trials: number }>();
  for (const result of results) {
    const tally = byScenario.get(result.scenario) ?? { passes: 0, trials: 0 };
    tally.trials += 1;
    if (result.passed) tally.passes += 1;
    byScenario.set(result.scenario, tally);
  }
  const tasks = [...byScenario.values()];
  for (const task of tasks) {
    if (task.trials !== trialsPerScenario) throw new Error(`a scenario in ${category} ran ${task.trials} trials, not ${trialsPerScenario}`);
  }
  return {
    category,
    scenarios: tasks.length,
    trials: results.length,
    passedTrials: results.filter((result) => result.passed).length,
    passHatK: Object.fromEntries(ks.map((k) => [`pass^${k}`, passHatK(tasks, k)])),
  };
}

export function buildReport(
  results: TrialResult[],
  meta: ReportMeta,
  scenarios: Array<{ id: string; category: string; description: string }>,
): EvalReport {
  const categories = [...new Set(results.map((result) => result.category))].sort();
  const ran = scenarios.filter((scenario) => results.some((result) => result.scenario === scenario.id));
  return {
    ...meta,
    scenarios: ran.map(({ id, category, description }) => {
      const trials = results.filter((result) => result.scenario === id);
      return { id, category, description, passes: trials.filter((result) => result.passed).length, trials: trials.length };
    }),
    overall: figures("all", results, meta.trialsPerScenario, meta.ks),
    procedureFailures: results.filter((result) => result.procedure.length > 0).length,
    simulated: {
      trials: results.filter((result) => result.mode === "simulated").length,
      endedByGoal: results.filter((result) => result.simulationEnd === "goal").length,
    },
    judgeDisagreements: results
      .flatMap((result) => result.judgeDisagreements.map((disagreement) => ({ scenario: result.scenario, trial: result.trial, ...disagreement })))
      .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.trial - b.trial),
    categories: categories.map((category) =>
      figures(
        category,
        results.filter((result) => result.category === category),
        meta.trialsPerScenario,
        meta.ks,
      ),
    ),
    failures: results.filter((result) => !result.passed).sort((a, b) => a.scenario.localeCompare(b.scenario) || a.trial - b.trial),
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const fence = (text: string) => "```\n" + text.replace(/```/g, "ʼʼʼ") + "\n```";

export function renderMarkdown(report: EvalReport): string {
  const kHeads = report.ks.map((k) => `pass^${k}`);
  const row = (figures: CategoryFigures) =>
    `| ${figures.category} | ${figures.scenarios} | ${figures.passedTrials}/${figures.trials} | ${kHeads.map((key) => percent(figures.passHatK[key] ?? 0)).join(" | ")} |`;
  const lines = [
    "# Eval report",
    "",
    `Model: ${report.model.label} (provider ${report.model.provider}, model \`${report.model.id}\`${report.model.host ? `, server ${report.model.host}` : ""}).`,
    `Customer: ${report.userSimulator ? `simulated by ${report.userSimulator.label} in multi-turn scenarios (at most ${report.userSimulator.maxTurns} messages; ${report.simulated.endedByGoal} of ${report.simulated.trials} conversations ended with the goal met)` : "the scenarios' own sentences"}.`,
    `Judge: ${report.judge ? report.judge.label : "none (rules only)"}.`,
    `Database: ${report.database}. ${report.trialsPerScenario} trials per scenario. Started ${report.startedAt}, took ${report.durationSeconds} s.`,
    "",
    "A trial passes only when every reply states its required facts, makes none of the forbidden claims,",
    "the database ends exactly as expected (customers, entitlements, access grants, tickets with their journey and notes,",
    "who the fake Circle holds in which access group, and the jobs the conversation enqueued),",
    "and the bot followed procedure: no state-changing tool (resendInvite, openBillingTicket) the customer did not ask for, at most one per ask.",
    "pass^k is the mean over scenarios of C(c,k)/C(n,k) for c passing trials out of n: the chance that k independent runs all pass.",
    "",
    `| Category | Scenarios | Trials passed | ${kHeads.join(" | ")} |`,
    `|---|---|---|${kHeads.map(() => "---").join("|")}|`,
    ...report.categories.map(row),
    row(report.overall).replace("| all |", "| **all** |"),
    "",
    `Trials failed on procedure: ${report.procedureFailures}.`,
    "",
    `## Failures (${report.failures.length})`,
    "",
  ];
  if (report.failures.length === 0) lines.push("None.");
  for (const failure of report.failures) {
    lines.push(`### ${failure.scenario}, trial ${failure.trial}`, "", ...failure.failures.map((text) => `- ${text}`), "", failure.mode === "simulated" ? `Transcript (customer simulated; ended by ${failure.simulationEnd === "goal" ? "the goal met" : "the turn limit"}):` : "Transcript:", "");
    for (const turn of failure.turns) {
      lines.push(`- **Customer:** ${turn.user}`);
      for (const call of turn.toolCalls) lines.push(`  - tool \`${call.tool}\`(${JSON.stringify(call.input)}) -> ${call.error ? `error: ${call.error}` : JSON.stringify(call.output)}`);
      lines.push(`- **Bot (${turn.status}):** ${turn.reply}`);
    }
    lines.push("", "Expected end state:", "", fence(JSON.stringify(failure.expected, null, 2)), "", "Actual end state:", "", fence(JSON.stringify(failure.actual, null, 2)), "");
  }
  if (report.judge) {
    lines.push(`## Judge and rules disagree (${report.judgeDisagreements.length})`, "");
    if (report.judgeDisagreements.length === 0) lines.push("Nowhere.", "");
    for (const item of report.judgeDisagreements) {
      lines.push(
        `- ${item.scenario} #${item.trial}, turn ${item.turn}: rules ${item.rulesPass ? "pass" : `fail (${item.ruleFailures.join("; ")})`}, judge ${item.judgePass ? "passes" : `fails (${item.judgeFailures.join("; ")})`}`,
        `  > ${item.reply.replace(/\s+/g, " ").slice(0, 400)}`,
      );
    }
    lines.push("");
  }
  lines.push("## Scenarios", "", "| Scenario | Category | What happens | Passed |", "|---|---|---|---|");
  for (const scenario of report.scenarios) {
    lines.push(`| ${scenario.id} | ${scenario.category} | ${scenario.description.replace(/\|/g, "/")} | ${scenario.passes}/${scenario.trials} |`);
  }
  return lines.join("\n") + "\n";
}
