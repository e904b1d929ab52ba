import client from "prom-client";
import type { Database } from "./db";

// Prometheus metrics. Counters are per process; queue depth is read from the database at
// scrape time, so any instance reports the shared truth.

const globalMetrics = globalThis as typeof globalThis & { __entitledMetrics?: ReturnType<typeof build> };

function build() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhookEvents: new client.Counter({
      name: "entitled_webhook_events_total",
      help: "Webhook events received, by provider and result",
      labelNames: ["provider", "result"] as const,
      registers: [registry],
    }),
    jobsSettled: new client.Counter({
      name: "entitled_jobs_settled_total",
      help: "Outbox jobs settled, by kind and outcome",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    }),
    jobsByStatus: new client.Gauge({
      name: "entitled_jobs",
      help: "Outbox jobs by status (whole database)",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
  };
}

export function metrics() {
  globalMetrics.__entitledMetrics ??= build();
  return globalMetrics.__entitledMetrics;
}

export async function renderMetrics(db: Database): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  const rows = await db.sql<{ status: string; count: number }>(`SELECT status::text AS status, count(*)::int AS count FROM "Job" GROUP BY status`);
  m.jobsByStatus.reset();
  for (const status of ["queued", "running", "succeeded", "dead", "discarded"]) {
    m.jobsByStatus.set({ status }, rows.find((row) => row.status === status)?.count ?? 0);
  }
  return { body: await m.registry.metrics(), contentType: m.registry.contentType };
}
