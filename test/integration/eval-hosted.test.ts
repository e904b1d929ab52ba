import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTrial, type TrialResult } from "../../evals/harness";
import { createJudge } from "../../evals/judge";
import { buildReport, renderMarkdown, type EvalReport } from "../../evals/report";
import type { Scenario } from "../../evals/scenario";
import { scenarios } from "../../evals/scenarios";
import { evalEnvSchema, hostOf, resolveChatModel, resolveUserModel } from "../../evals/settings";
import { createUserSimulator, STOP } from "../../evals/user-simulator";
import { createScriptedOpenAI, type Responder, type ScriptedOpenAI } from "../fakes/openai";

// The eval suite against a hosted, OpenAI-compatible model: the product's own provider path
// (@ai-sdk/openai's chat model over real HTTP) against scripted servers. A model that follows
// the record passes; one that calls a tool nobody asked for, or claims access the record does
// not show, fails its trial. The simulated customer is a second scripted server.

const KEY = "sk-eval-hosted-test";
let chatServer: ScriptedOpenAI;
let customerServer: ScriptedOpenAI;

type WireMessage = { role: string; content?: unknown; tool_calls?: Array<{ function: { name: string } }> };
const textOf = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? content.map((part) => (part as { text?: string }).text ?? "").join(" ") : "";

/**
 * A model that does what the system prompt says: reads the record before answering, opens a
 * ticket when asked for a person, and states only what the tool returned. Its answer is built
 * from the tool result it was sent, so the round trip (call, result, answer) is real.
 */
const followsTheRecord: Responder = (body) => {
  const messages = body.messages as WireMessage[];
  const last = messages.at(-1)!;
  if (last.role === "user") {
    const asked = textOf(last.content).toLowerCase();
    if (/\b(person|someone|human|team)\b/.test(asked)) {
      return { toolCalls: [{ name: "openBillingTicket", arguments: { category: "other", summary: "The customer asks for a person to look at their purchase" } }] };
    }
    return { toolCalls: [{ name: "getEntitlement", arguments: {} }] };
  }
  type Result = { reference?: string; found?: boolean; entitlements?: Array<{ planName: string; status: string }>; latestPayment?: { status: string } | null };
  const results: Result[] = [];
  for (const message of messages.slice().reverse()) {
    if (message.role !== "tool") break;
    results.push(JSON.parse(textOf(message.content)) as Result);
  }
  const result = results.find((candidate) => candidate.reference) ?? results.find((candidate) => "found" in candidate) ?? {};
  if (result.reference) return { text: `I've passed this to our team: your ticket is ${result.reference}, and a person will reply here.` };
  if (!result.found) return { text: "I can't find a purchase linked to the address you're signed in with. I can pass this to a person on our team." };
  const entitlement = result.entitlements!.at(-1)!;
  const payment = result.latestPayment?.status === "paid" ? "Your latest payment went through." : "";
  return { text: `${payment} Your ${entitlement.planName} membership is ${entitlement.status}.`.trim() };
};

beforeAll(async () => {
  chatServer = await createScriptedOpenAI({ apiKey: KEY, respond: followsTheRecord });
  customerServer = await createScriptedOpenAI({ apiKey: KEY });
});
afterAll(async () => {
  await chatServer.stop();
  await customerServer.stop();
});

const scenario = (id: string): Scenario => {
  const found = scenarios.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
};
const env = (extra: Record<string, string> = {}) =>
  evalEnvSchema.parse({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: chatServer.url, OPENAI_MODEL: "scripted-hosted", EVAL_MODEL: "openai", ...extra });
const hostedModel = () => resolveChatModel(env()).model;
const endStateFailures = (result: TrialResult) => result.failures.filter((failure) => failure.startsWith("end state"));

// A trial starts its own database (PGlite's first start is slow on a busy machine).
describe("the eval suite against a hosted model", { timeout: 180_000 }, () => {
  it("passes a model that reads the record through a tool round trip and answers from it", async () => {
    const before = chatServer.requests().length;
    const result = await runTrial(scenario("active-invited--billing"), 1, { model: hostedModel() });
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.turns[0]!.toolCalls.map((call) => call.tool)).toEqual(["getEntitlement"]);
    expect(result.turns[0]!.reply).toBe("Your latest payment went through. Your Community (monthly) membership is active.");
    // Two model requests: the call, then the answer written from the tool's result.
    const requests = chatServer.requests().slice(before);
    expect(requests.map((request) => request.body.model)).toEqual(["scripted-hosted", "scripted-hosted"]);
    expect(JSON.stringify((requests[1]!.body.messages as WireMessage[]).at(-1))).toContain('\\"status\\":\\"active\\"');
  });

  it("fails a model that resends the invitation when the customer only asked about the payment", async () => {
    chatServer.script([
      { toolCalls: [{ name: "getEntitlement", arguments: {} }] },
      { toolCalls: [{ name: "resendInvite", arguments: {} }] },
      { text: "Your latest payment went through and your Community membership is active. I also sent your invitation again." },
    ]);
    const result = await runTrial(scenario("active-invited--billing"), 1, { model: hostedModel() });
    expect(result.passed).toBe(false);
    expect(result.procedure).toEqual(["procedure: resendInvite changed state once, though the customer never asked for it"]);
    expect(result.failures).toEqual(expect.arrayContaining(result.procedure));
  });

  it("fails an unasked state-changing call even when it changed nothing, where the turn declares what was asked", async () => {
    // Refunded: a resend is not eligible, so neither the reply nor the end state shows the call;
    // only the procedure check does.
    const base = scenario("refunded--billing");
    const declared: Scenario = { ...base, id: `${base.id}--declared`, turns: base.turns.map((turn) => ({ ...turn, asks: [] })) };
    chatServer.script([{ toolCalls: [{ name: "getEntitlement", arguments: {} }, { name: "resendInvite", arguments: {} }] }]);
    const result = await runTrial(declared, 1, { model: hostedModel() });
    expect(result.turns[0]!.toolCalls.find((call) => call.tool === "resendInvite")?.output).toMatchObject({ result: "not_eligible" });
    expect(endStateFailures(result)).toEqual([]);
    expect(result.procedure).toEqual(["procedure, turn 1: called resendInvite, which the customer did not ask for"]);
    expect(result.passed).toBe(false);
    // The same conversation without the resend passes: the failure is the call, not the scenario.
    const clean = await runTrial(declared, 2, { model: hostedModel() });
    expect(clean.failures).toEqual([]);
  });

  it("fails a model that claims access the record does not show", async () => {
    chatServer.script([{ toolCalls: [{ name: "getEntitlement", arguments: {} }] }, { text: "Good news: your payment went through and you have access now, you can log in." }]);
    const result = await runTrial(scenario("active-pending--access"), 1, { model: hostedModel() });
    expect(result.passed).toBe(false);
    expect(result.turns[0]!.failures.length).toBeGreaterThan(0);
    expect(result.turns[0]!.failures.join(" ")).toMatch(/access/i);
    // The record and the procedure were right: only the words were wrong.
    expect(endStateFailures(result)).toEqual([]);
    expect(result.procedure).toEqual([]);
  });
});

describe("the LLM judge beside the rules", { timeout: 180_000 }, () => {
  it("records where the judge and the rules disagree, and the report lists it; the rules still decide", async () => {
    const judgeServer = await createScriptedOpenAI({ apiKey: "judge-key" });
    try {
      judgeServer.script([{ text: '{"pass": false, "failures": ["does not state: the membership is active"]}' }]);
      const judge = createJudge({ ...process.env, EVAL_JUDGE_BASE_URL: judgeServer.url, EVAL_JUDGE_MODEL: "scripted-judge", EVAL_JUDGE_API_KEY: "judge-key" })!;
      const result = await runTrial(scenario("active-invited--billing"), 1, { model: hostedModel(), judge });
      expect(result.passed).toBe(true);
      expect(result.judgeDisagreements).toEqual([
        {
          turn: 1,
          reply: result.turns[0]!.reply,
          rulesPass: true,
          ruleFailures: [],
          judgePass: false,
          judgeFailures: ["does not state: the membership is active"],
        },
      ]);
      // The judge was asked about this turn's facts and claims by name.
      const asked = JSON.stringify(judgeServer.requests()[0]!.body.messages);
      for (const fact of scenario("active-invited--billing").turns[0]!.must ?? []) expect(asked).toContain(fact.fact);

      const info = resolveChatModel(env()).info;
      const report = buildReport(
        [result],
        { model: info, userSimulator: null, judge: { provider: "openai-compatible", id: "scripted-judge", host: "judge.local", label: "scripted-judge" }, database: "PGlite", trialsPerScenario: 1, ks: [1], startedAt: "2026-12-01T00:00:00Z", durationSeconds: 1 },
        [scenario("active-invited--billing")],
      );
      const markdown = renderMarkdown(report);
      expect(markdown).toContain("## Judge and rules disagree (1)");
      expect(markdown).toContain("active-invited--billing #1, turn 1: rules pass, judge fails (does not state: the membership is active)");
    } finally {
      await judgeServer.stop();
    }
  });
});

describe("the simulated customer", { timeout: 180_000 }, () => {
  it("plays a multi-turn scenario from its goal until it says the goal is met, and the conversation is scored", async () => {
    const target = scenario("field--typo-email-then-human");
    const asked = customerServer.requests().length;
    customerServer.script([
      { text: "hi, I paid for the membership today and the community won't let me in" },
      { text: "alright, can someone from your team look at it?" },
      { text: STOP },
    ]);
    const user = resolveUserModel(env({ EVAL_USER_MODEL: "scripted-customer", EVAL_USER_BASE_URL: customerServer.url, EVAL_USER_MAX_TURNS: "5" }))!;
    const result = await runTrial(target, 1, { model: hostedModel(), userSimulator: { simulator: createUserSimulator(user.model), maxTurns: user.maxTurns } });

    expect(result.mode).toBe("simulated");
    expect(result.simulationEnd).toBe("goal");
    expect(result.turns.map((turn) => turn.user)).toEqual(["hi, I paid for the membership today and the community won't let me in", "alright, can someone from your team look at it?"]);
    expect(result.turns[1]!.reply).toMatch(/^I've passed this to our team: your ticket is T-[0-9A-F]{8}/);
    expect(result.failures).toEqual([]);

    // The simulator was given the scenario's sentences as its goal and saw the bot's replies as the other side.
    const requests = customerServer.requests().slice(asked);
    expect(requests).toHaveLength(3);
    const system = (requests[0]!.body.messages as WireMessage[])[0]!;
    for (const turn of target.turns) expect(textOf(system.content)).toContain(turn.say);
    const third = requests[2]!.body.messages as WireMessage[];
    expect(third.filter((m) => m.role === "assistant").map((m) => textOf(m.content))).toEqual(result.turns.map((turn) => turn.user));
    expect(third.at(-1)).toMatchObject({ role: "user", content: result.turns[1]!.reply });
  });

  it("fails a simulated conversation in which the bot never states what the goal needed, and stops at the turn limit", async () => {
    const target = scenario("field--typo-email-then-human");
    customerServer.script([{ text: "hello? I paid and can't log in" }, { text: "hello??" }]);
    // A model that never reads the record: it cannot state the facts.
    chatServer.script([{ text: "Thanks for your message!" }, { text: "Thanks for your message!" }]);
    const user = resolveUserModel(env({ EVAL_USER_MODEL: "scripted-customer", EVAL_USER_BASE_URL: customerServer.url, EVAL_USER_MAX_TURNS: "2" }))!;
    const result = await runTrial(target, 1, { model: hostedModel(), userSimulator: { simulator: createUserSimulator(user.model), maxTurns: user.maxTurns } });
    expect(result.simulationEnd).toBe("limit");
    expect(result.turns).toHaveLength(2);
    expect(result.passed).toBe(false);
    expect(result.failures.filter((failure) => failure.startsWith("conversation:")).length).toBeGreaterThanOrEqual(2);
    expect(endStateFailures(result).join(" ")).toMatch(/tickets/);
  });
});

describe("npm run eval -- --model openai", () => {
  it("runs the suite against the configured server and names the model in the report, never its key", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "eval-hosted-"));
    const url = new URL(chatServer.url);
    const child = spawn(process.execPath, ["--import", "tsx", "evals/run.ts", "--model", "openai", "--filter", "active-invited--billing", "--trials", "2", "--workers", "1", "--out", out], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: { ...process.env, OPENAI_API_KEY: KEY, OPENAI_BASE_URL: url.toString(), OPENAI_MODEL: "scripted-hosted", EVAL_USER_MODEL: "", LOG_LEVEL: "silent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output).toBe(0);

    const report = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8")) as EvalReport;
    expect(report.model).toEqual({ provider: "openai-compatible", id: "scripted-hosted", host: url.host, label: `scripted-hosted (OpenAI-compatible, ${url.host})` });
    expect(report.overall).toMatchObject({ trials: 2, passedTrials: 2 });
    const markdown = fs.readFileSync(path.join(out, "report.md"), "utf8");
    expect(markdown).toContain(`Model: scripted-hosted (OpenAI-compatible, ${url.host}) (provider openai-compatible, model \`scripted-hosted\`, server ${url.host})`);
    for (const text of [markdown, JSON.stringify(report), output]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(chatServer.url);
    }
    fs.rmSync(out, { recursive: true, force: true });
  }, 180_000);

  it("names a server by its host only: no credentials, path or query", () => {
    expect(hostOf("https://user:secret@llm.internal:8443/v1?token=abc")).toBe("llm.internal:8443");
    expect(hostOf(undefined)).toBe("api.openai.com");
  });

  it("refuses --model openai without a key, plainly", () => {
    expect(() => resolveChatModel(evalEnvSchema.parse({ EVAL_MODEL: "openai" }))).toThrow(/--model openai needs OPENAI_API_KEY/);
    expect(resolveChatModel(evalEnvSchema.parse({ OPENAI_API_KEY: KEY, EVAL_MODEL: "offline" })).info.provider).toBe("offline");
  });

  it("reports procedure failures and the simulated customer", () => {
    const failed: TrialResult = {
      scenario: "s",
      category: "c",
      trial: 1,
      passed: false,
      failures: ["procedure: resendInvite changed state once, though the customer never asked for it"],
      turns: [],
      expected: { customers: 0, entitlements: [], access: [], tickets: [], circle: [], conversationJobs: {} },
      actual: null,
      durationMs: 1,
      mode: "simulated",
      simulationEnd: "goal",
      procedure: ["procedure: resendInvite changed state once, though the customer never asked for it"],
      judgeDisagreements: [],
    };
    const info = resolveChatModel(env()).info;
    const user = { ...resolveUserModel(env({ EVAL_USER_MODEL: "customer-7b" }))!.info, maxTurns: 6 };
    const report = buildReport([failed], { model: info, userSimulator: user, judge: null, database: "PGlite", trialsPerScenario: 1, ks: [1], startedAt: "2026-12-01T00:00:00Z", durationSeconds: 1 }, [
      { id: "s", category: "c", description: "d" },
    ]);
    expect(report.procedureFailures).toBe(1);
    expect(report.simulated).toEqual({ trials: 1, endedByGoal: 1 });
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("Trials failed on procedure: 1.");
    expect(markdown).toContain(`simulated by customer-7b (OpenAI-compatible, ${new URL(chatServer.url).host})`);
    expect(markdown).toContain("Judge: none (rules only).");
  });
});
