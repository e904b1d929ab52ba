import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A scripted OpenAI Chat Completions server: a real HTTP server on 127.0.0.1 that answers
// POST /v1/chat/completions from a queue of turns the test sets (or, when the queue is empty,
// from a `respond` function of the request: a model that reads the tool results it is sent),
// streamed (SSE of chat.completion.chunk objects, ending with `data: [DONE]`) or not, and
// records every request. With `timing`, a streamed answer arrives like a real model's: the
// first chunk after `firstTokenMs`, then one token (a word or a tool-call fragment) per
// 1/`tokensPerSecond` s.

export type ScriptedTurn =
  | { toolCalls: Array<{ name: string; arguments: Record<string, unknown> | string }> }
  | { text: string };

/** A model as a function of what it is sent (the request body: messages, tools). */
export type Responder = (body: Record<string, unknown>) => ScriptedTurn;

export interface StreamTiming {
  firstTokenMs: number;
  tokensPerSecond: number;
}

export interface RecordedRequest {
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface ScriptedOpenAI {
  /** Base URL ending in /v1, for `createOpenAI({ baseURL })`. */
  url: string;
  /** Appends turns to the queue; each request to the model takes the next one. */
  script(turns: ScriptedTurn[]): void;
  /** Every request body received, in order (including rejected ones). */
  requests(): RecordedRequest[];
  /** Timed streams whose client went away before the last token. */
  abandoned(): number;
  stop(): Promise<void>;
}

/** Words with their following space, as a model streams tokens. */
const tokens = (text: string) => text.match(/\S+\s*|\s+/g) ?? [""];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits a string in `parts` roughly equal pieces (at least one, possibly empty). */
function split(text: string, parts: number): string[] {
  if (text.length === 0) return [""];
  const size = Math.max(1, Math.ceil(text.length / parts));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function createScriptedOpenAI(options: { apiKey?: string; respond?: Responder; timing?: StreamTiming } = {}): Promise<ScriptedOpenAI> {
  const apiKey = options.apiKey ?? "test-key";
  const queue: ScriptedTurn[] = [];
  const received: RecordedRequest[] = [];
  let counter = 0;
  let abandoned = 0;

  const sendError = (res: ServerResponse, status: number, message: string, type: string, code: string | null) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message, type, param: null, code } }));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "").split("?")[0];
    const raw = await readBody(req);
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return sendError(res, 404, `Unknown request URL: ${req.method} ${path}`, "invalid_request_error", "unknown_url");
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return sendError(res, 400, "We could not parse the JSON body of your request.", "invalid_request_error", null);
    }
    received.push({ authorization: req.headers.authorization, body });
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendError(res, 401, "Incorrect API key provided: sk-fake-secret-detail. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key");
    }
    const turn = queue.shift() ?? options.respond?.(body);
    if (!turn) return sendError(res, 500, "scripted-openai: no turn scripted for this request", "server_error", null);

    const id = `chatcmpl-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === "string" ? body.model : "scripted";
    const toolCalls =
      "toolCalls" in turn
        ? turn.toolCalls.map((call, index) => ({
            index,
            id: `call_${counter}_${index}`,
            name: call.name,
            arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
          }))
        : [];
    const finishReason = "toolCalls" in turn ? "tool_calls" : "stop";

    if (body.stream !== true) {
      const message =
        "toolCalls" in turn
          ? { role: "assistant", content: null, tool_calls: toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) }
          : { role: "assistant", content: turn.text };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id, object: "chat.completion", created, model, choices: [{ index: 0, message, finish_reason: finishReason }], usage }));
      return;
    }

    const chunk = (choice: Record<string, unknown> | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: choice ? [{ index: 0, ...choice }] : [], ...extra })}\n\n`;
    const events: string[] = [chunk({ delta: { role: "assistant", content: "" }, finish_reason: null })];
    if ("toolCalls" in turn) {
      for (const call of toolCalls) {
        const [first = "", ...rest] = split(call.arguments, 3);
        events.push(
          chunk({ delta: { tool_calls: [{ index: call.index, id: call.id, type: "function", function: { name: call.name, arguments: first } }] }, finish_reason: null }),
        );
        for (const piece of rest) events.push(chunk({ delta: { tool_calls: [{ index: call.index, function: { arguments: piece } }] }, finish_reason: null }));
      }
    } else {
      for (const piece of options.timing ? tokens(turn.text) : split(turn.text, 4)) events.push(chunk({ delta: { content: piece }, finish_reason: null }));
    }
    events.push(chunk({ delta: {}, finish_reason: finishReason }));
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) events.push(chunk(null, { usage }));
    events.push("data: [DONE]\n\n");

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    if (!options.timing) {
      for (const event of events) res.write(event);
      return res.end();
    }
    // The role chunk at once (as real servers send it), the first token after firstTokenMs, then
    // one token per interval; the closing chunks follow the last token.
    const [role, ...rest] = events;
    res.write(role);
    const tail = rest.slice(-(streamOptions?.include_usage ? 3 : 2));
    const tokenEvents = rest.slice(0, rest.length - tail.length);
    const interval = 1000 / options.timing.tokensPerSecond;
    const startedAt = performance.now();
    await sleep(options.timing.firstTokenMs);
    for (const [index, event] of tokenEvents.entries()) {
      if (res.destroyed) {
        abandoned += 1;
        return;
      }
      res.write(event);
      const due = options.timing.firstTokenMs + (index + 1) * interval - (performance.now() - startedAt);
      if (index < tokenEvents.length - 1 && due > 0) await sleep(due);
    }
    for (const event of tail) res.write(event);
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, (error as Error).message, "server_error", null);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    script(turns) {
      queue.push(...turns);
    },
    requests: () => received.map((entry) => structuredClone(entry)),
    abandoned: () => abandoned,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
