import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// The sandbox: stand-ins for Circle and Kit that the demo (`npm start` without credentials),
// the tests and the benchmarks run against. This is what the two share: a real HTTP server on
// 127.0.0.1, a request log, a global latency, and a queue of injected faults (status codes, hangs
// that optionally apply the change first, slow answers). Each stand-in supplies its routes and
// error shapes.

export interface FaultMatch {
  /** Matches any method when omitted. */
  method?: string;
  /** Path as the fake routes it, without query: exact string or pattern. Any path when omitted. */
  path?: string | RegExp;
  /** How many matching requests this rule answers (default 1). */
  times?: number;
}

export type FaultAction =
  | { status: number }
  /** Holds the request, then drops the connection unanswered; `applyThenHang` performs the change first. */
  | { timeoutMs: number; applyThenHang?: boolean }
  | { delayMs: number };

export interface RandomFaults<Fault> {
  /** Share of requests answered with a fault, 0..1. */
  rate: number;
  /** The faults to pick from (their `times` is ignored). */
  faults: Fault[];
  random: () => number;
}

export interface FakeRequestLogEntry {
  method: string;
  /** Path without query (queries carry emails). */
  path: string;
  /** Null while pending or when the request was never answered. */
  status: number | null;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A non-JSON body, as proxies send on 502. */
  html?: string;
  headers?: Record<string, string>;
}

export interface Incoming {
  method: string;
  path: string;
  query: URLSearchParams;
  rawBody: string;
  headers: IncomingHttpHeaders;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function field(body: unknown, key: string): unknown {
  return typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

function faultMatches(fault: FaultMatch, method: string, path: string): boolean {
  return (
    (fault.method === undefined || fault.method.toUpperCase() === method) &&
    (fault.path === undefined || (typeof fault.path === "string" ? fault.path === path : fault.path.test(path)))
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export abstract class FakeApiServer<Fault extends FaultMatch & FaultAction> {
  /** Added to every response, e.g. 50 for a benchmark that needs a realistic round trip. */
  latencyMs = 0;

  private server: Server | null = null;
  private baseUrl: string | null = null;
  private faults: Array<Fault & { remaining: number }> = [];
  private randomFaults: RandomFaults<Fault> | null = null;
  private log: FakeRequestLogEntry[] = [];
  private hangs = new Set<NodeJS.Timeout>();

  /** `prefix`: the API's path prefix, part of the base URL and stripped before routing. */
  protected constructor(private readonly prefix: string) {}

  protected abstract route(request: Incoming): Reply;
  protected abstract faultReply(fault: Fault & { status: number }): Reply;
  protected abstract internalError(): Reply;
  protected abstract clearState(): void;

  async start(): Promise<{ url: string }> {
    if (this.baseUrl) return { url: this.baseUrl };
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => this.send(res, null, this.internalError()));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.prefix}`;
    return { url: this.baseUrl };
  }

  async stop(): Promise<void> {
    for (const timer of this.hangs) clearTimeout(timer);
    this.hangs.clear();
    const server = this.server;
    this.server = null;
    this.baseUrl = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Clears state, faults, the request log and latency; keeps the server running. */
  reset(): void {
    this.clearState();
    this.faults = [];
    this.randomFaults = null;
    this.log = [];
    this.latencyMs = 0;
  }

  /** Drops every injected fault that has not fired yet, random ones included: the provider is back. */
  recover(): void {
    this.faults = [];
    this.randomFaults = null;
  }

  /**
   * Answers a share of the requests no queued fault matched with one of `faults` picked at
   * random (the chaos harness); `random` is seeded by the caller so a run can be replayed.
   */
  injectRandomFaults(randomFaults: RandomFaults<Fault>): void {
    this.randomFaults = randomFaults;
  }

  fail(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  requests(): FakeRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex((fault) => faultMatches(fault, method, path));
    const fault = this.faults[index];
    if (!fault) return this.randomFault(method, path);
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private randomFault(method: string, path: string): Fault | undefined {
    const chaos = this.randomFaults;
    if (!chaos || chaos.random() >= chaos.rate) return undefined;
    const matching = chaos.faults.filter((fault) => faultMatches(fault, method, path));
    return matching[Math.floor(chaos.random() * matching.length)];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const method = req.method ?? "GET";
    const path = this.prefix && url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) : url.pathname;
    const entry: FakeRequestLogEntry = { method, path, status: null };
    this.log.push(entry);
    const rawBody = await readBody(req);
    const apply = () => this.route({ method, path, query: url.searchParams, rawBody, headers: req.headers });

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const fault = this.takeFault(method, path);
    if (fault && "status" in fault) return this.send(res, entry, this.faultReply(fault as Fault & { status: number }));
    if (fault && "timeoutMs" in fault) {
      if (fault.applyThenHang) apply();
      const timer = setTimeout(() => {
        this.hangs.delete(timer);
        res.destroy();
      }, fault.timeoutMs);
      this.hangs.add(timer);
      return;
    }
    if (fault && "delayMs" in fault) await sleep(fault.delayMs);
    this.send(res, entry, apply());
  }

  private send(res: ServerResponse, entry: FakeRequestLogEntry | null, reply: Reply): void {
    // The client may have given up (timeout) while the reply was delayed.
    if (res.destroyed || res.headersSent) return;
    if (entry) entry.status = reply.status;
    if (reply.html !== undefined) {
      res.writeHead(reply.status, { "content-type": "text/html", ...reply.headers }).end(reply.html);
    } else if (reply.body === undefined) {
      res.writeHead(reply.status, reply.headers).end();
    } else {
      res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers }).end(JSON.stringify(reply.body));
    }
  }
}
