import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJudge, parseVerdict } from "../../evals/judge";

// The optional LLM judge against a small OpenAI-compatible chat completions server on
// 127.0.0.1: what it sends, the verdicts it reads back, and a clear error (not a crash) when
// the model's answer is not a verdict.

interface Seen {
  authorization: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }> };
}

let server: Server;
let baseURL: string;
const answers: Array<{ status: number; content: string }> = [];
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({ authorization: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Seen["body"] });
      const answer = answers.shift() ?? { status: 200, content: '{"pass": true, "failures": []}' };
      res.writeHead(answer.status, { "content-type": "application/json" });
      if (answer.status !== 200) return res.end(JSON.stringify({ error: { message: answer.content, type: "server_error" } }));
      res.end(
        JSON.stringify({
          id: `chatcmpl-${seen.length}`,
          object: "chat.completion",
          created: 1_767_225_600,
          model: "judge-model",
          choices: [{ index: 0, message: { role: "assistant", content: answer.content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const input = { reply: "Tu pago no se realizó.", language: "es", facts: ["the latest payment failed"], forbidden: ["the latest payment went through"] };

describe("createJudge", () => {
  it("is off unless both the base URL and the model are set", () => {
    expect(createJudge({})).toBeNull();
    expect(createJudge({ EVAL_JUDGE_BASE_URL: "http://127.0.0.1:1/v1" })).toBeNull();
    expect(createJudge({ EVAL_JUDGE_MODEL: "m" })).toBeNull();
  });

  it("refuses a base URL that is not http(s), with a plain message", () => {
    expect(() => createJudge({ EVAL_JUDGE_BASE_URL: "ftp://example.com", EVAL_JUDGE_MODEL: "m" })).toThrow(/EVAL_JUDGE_BASE_URL must be an http\(s\) URL/);
  });

  it("sends the reply, its facts and forbidden claims to the model and reads a passing verdict", async () => {
    const judge = createJudge({ EVAL_JUDGE_BASE_URL: baseURL, EVAL_JUDGE_MODEL: "judge-model", EVAL_JUDGE_API_KEY: "sk-judge" })!;
    expect(judge.model).toBe("judge-model");
    answers.push({ status: 200, content: '{"pass": true, "failures": []}' });
    await expect(judge.score(input)).resolves.toEqual({ pass: true, failures: [] });
    const request = seen.at(-1)!;
    expect(request.authorization).toBe("Bearer sk-judge");
    expect(request.body.model).toBe("judge-model");
    const user = request.body.messages.find((message) => message.role === "user")!.content;
    expect(JSON.parse(user)).toEqual({ reply: input.reply, replyLanguage: "es", mustState: input.facts, mustNotClaim: input.forbidden });
  });

  it("reads a failing verdict, also wrapped in prose or a code fence", async () => {
    const judge = createJudge({ EVAL_JUDGE_BASE_URL: baseURL, EVAL_JUDGE_MODEL: "judge-model" })!;
    answers.push({ status: 200, content: 'Here you go:\n```json\n{"pass": false, "failures": ["does not state: the latest payment failed"]}\n```' });
    await expect(judge.score(input)).resolves.toEqual({ pass: false, failures: ["does not state: the latest payment failed"] });
  });

  it("answers a malformed verdict with a clear error, not a crash", async () => {
    const judge = createJudge({ EVAL_JUDGE_BASE_URL: baseURL, EVAL_JUDGE_MODEL: "judge-model" })!;
    answers.push({ status: 200, content: "I think the reply is fine." });
    await expect(judge.score(input)).rejects.toThrow(/did not answer with a JSON verdict/);
    answers.push({ status: 200, content: '{"pass": "yes"}' });
    await expect(judge.score(input)).rejects.toThrow(/wrong shape: pass/);
  });

  it("surfaces a server error as a rejected promise", async () => {
    const judge = createJudge({ EVAL_JUDGE_BASE_URL: baseURL, EVAL_JUDGE_MODEL: "judge-model" })!;
    answers.push({ status: 400, content: "model not found" }, { status: 400, content: "model not found" });
    await expect(judge.score(input)).rejects.toThrow(/model not found/);
  });
});

describe("parseVerdict", () => {
  it.each([
    ['{"pass": true, "failures": []}', { pass: true, failures: [] }],
    ['{"pass": true}', { pass: true, failures: [] }],
    ['{"pass": true, "failures": ["claims: a refund"]}', { pass: false, failures: ["claims: a refund"] }],
  ])("%s", (text, verdict) => {
    expect(parseVerdict(text)).toEqual(verdict);
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseVerdict("{pass: yes}")).toThrow(/not valid JSON/);
  });
});
