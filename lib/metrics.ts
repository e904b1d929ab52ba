import client from "prom-client";

// Prometheus metrics, two kinds:
// - per-process counters and histograms on `metrics().registry`, incremented by the process that
//   does the work (a webhook route or the ingest server, a worker or a drain, the chat). Rooms that
//   need their own metrics register them on this registry too.
// - the shared truth, read from the database at scrape time (lib/observability/database-metrics.ts):
//   queue depth and age, dead letters, jobs by kind and status, payments waiting for access, revokes
//   not carried out, payment to access over the last hour, request budgets, worker heartbeats. Any
//   instance answers the same, so one scrape of any web instance sees the whole system.
// GET /api/metrics renders both (lib/observability/metrics-endpoint.ts); a worker process can serve
// its own counters on WORKER_METRICS_PORT. This file imports nothing of the app: every room may use it.

const singletons = globalThis as typeof globalThis & { __entitledMetricSets?: Map<string, unknown> };

/**
 * One set of metrics per process under `key`, built on first use. Kept on globalThis: a module
 * evaluated again (Next's dev reloads, a route bundle of its own) would otherwise register the
 * same metric names twice, which prom-client refuses.
 */
export function processSingleton<T>(key: string, build: () => T): T {
  singletons.__entitledMetricSets ??= new Map();
  if (!singletons.__entitledMetricSets.has(key)) singletons.__entitledMetricSets.set(key, build());
  return singletons.__entitledMetricSets.get(key) as T;
}

/** Seconds, for acknowledging a webhook: most land in single-digit milliseconds. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function build() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhookEvents: new client.Counter({
      name: "entitled_webhook_events_total",
      help: "Webhook events by provider and result: recorded (new), duplicate (already in the ledger), rejected (4xx: signature, body, size; counted per delivery), error (5xx: not recorded, the provider retries; per delivery)",
      labelNames: ["provider", "result"] as const,
      registers: [registry],
    }),
    webhookAck: new client.Histogram({
      name: "entitled_webhook_ack_seconds",
      help: "Time from a webhook delivery's body being read to its answer, by provider and HTTP status class",
      labelNames: ["provider", "status"] as const,
      buckets: ACK_BUCKETS,
      registers: [registry],
    }),
    jobsSettled: new client.Counter({
      name: "entitled_jobs_settled_total",
      help: "Outbox job attempts settled by this process, by kind and outcome (succeeded, retry: put back for a retry or a budget, dead: dead-lettered)",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    }),
    jobAttempts: new client.Histogram({
      name: "entitled_job_attempts",
      help: "Attempts a job took by the time it succeeded or was dead-lettered, by kind",
      labelNames: ["kind"] as const,
      buckets: [1, 2, 3, 4, 5, 6, 8, 10],
      registers: [registry],
    }),
    tickets: new client.Counter({
      name: "entitled_tickets_total",
      help: "Support asks by source (chat, system) and result: opened (a new ticket) or deduplicated (added to the ticket its customer journey and category already had)",
      labelNames: ["source", "result"] as const,
      registers: [registry],
    }),
    chatTurns: new client.Counter({
      name: "entitled_chat_turns_total",
      help: "Chat turns answered, by outcome: answered (the model finished), error (the model or its stream failed), held (a person holds the chat; no model)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    chatToolCalls: new client.Counter({
      name: "entitled_chat_tool_calls_total",
      help: "Tool calls the chat model made, by tool and outcome (ok, error)",
      labelNames: ["tool", "outcome"] as const,
      registers: [registry],
    }),
  };
}

export function metrics() {
  return processSingleton("metrics", build);
}
