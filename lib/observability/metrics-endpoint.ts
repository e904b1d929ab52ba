import http from "node:http";
import type { Database } from "../db";
import { metricsRefusal } from "../http-security";
import type { Env } from "../config";
import { log } from "../log";
import { metrics } from "../metrics";
import { reconcileMetrics } from "../reconcile/metrics";
import { collectDatabaseMetrics } from "./database-metrics";

// What GET /api/metrics answers: this process's counters (lib/metrics.ts) and the figures read
// from the database now (./database-metrics.ts). A worker process serves its own counters on
// WORKER_METRICS_PORT (its jobs' outcomes and attempts, and its default process metrics); the
// shared figures come from any web instance, so they are not served twice.

export interface RenderedMetrics {
  body: string;
  contentType: string;
}

/** The reconciler's metrics are declared in every scrape, also by a process that has not reconciled yet. */
function processRegistry() {
  reconcileMetrics();
  return metrics().registry;
}

/**
 * The database's figures being read now, per database. A scrape that arrives while another's
 * read is running shares its result instead of starting another: the reads take about half a
 * second with a launch-sized outbox (BENCHMARKS.md), and under load scrapes that time out and
 * retry used to pile reads on the database they were waiting for. A scrape after one has
 * finished reads afresh: nothing is served from an earlier read.
 */
const reading = new WeakMap<Database, Promise<string>>();

function sharedFigures(db: Database): Promise<string> {
  let pending = reading.get(db);
  if (!pending) {
    pending = collectDatabaseMetrics(db)
      .then((registry) => registry.metrics())
      .finally(() => reading.delete(db));
    reading.set(db, pending);
  }
  return pending;
}

/** This process's counters and the database's shared figures. */
export async function renderMetrics(db: Database): Promise<RenderedMetrics> {
  const registry = processRegistry();
  const shared = await sharedFigures(db);
  return { body: `${await registry.metrics()}\n${shared}`, contentType: registry.contentType };
}

/** This process's counters only. */
export async function renderProcessMetrics(): Promise<RenderedMetrics> {
  const registry = processRegistry();
  return { body: await registry.metrics(), contentType: registry.contentType };
}

/**
 * A worker's metrics endpoint: `GET /metrics` on `port`, with the same bearer token as
 * /api/metrics (and, like it, off in production without METRICS_TOKEN: every request gets 404).
 */
export function serveProcessMetrics(port: number, config: Pick<Env, "METRICS_TOKEN" | "APP_MODE">, host = "0.0.0.0"): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = async (response: Response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(await response.text());
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") return void send(Response.json({ error: "not found" }, { status: 404 }));
    const headers = new Headers();
    if (req.headers.authorization) headers.set("authorization", req.headers.authorization);
    const refusal = metricsRefusal(new Request(`http://worker${path}`, { headers }), config);
    if (refusal) return void send(refusal);
    renderProcessMetrics()
      .then(({ body, contentType }) => send(new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } })))
      .catch((error: Error) => {
        log.error({ err: error.message }, "worker metrics: could not render");
        return send(Response.json({ error: "could not render metrics" }, { status: 500 }));
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
