// npm run worker: an outbox worker process. Run as many as you like against PostgreSQL.
import { env } from "../lib/config";
import { log } from "../lib/log";
import { serveProcessMetrics } from "../lib/observability/metrics-endpoint";
import { createRuntime, createRuntimeWorker } from "../lib/runtime";

const config = env();
if (!config.DATABASE_URL) {
  console.error("npm run worker needs DATABASE_URL: on the embedded database the worker runs inside `npm start`.");
  process.exit(2);
}
const runtime = await createRuntime(config);
const worker = createRuntimeWorker(runtime);
worker.start();
log.info({ workerId: worker.id, concurrency: config.WORKER_CONCURRENCY }, "worker started");
// This worker's own counters (its jobs' outcomes and attempts); the shared figures are on any web instance's /api/metrics.
const metricsServer = config.WORKER_METRICS_PORT ? await serveProcessMetrics(config.WORKER_METRICS_PORT, config) : null;

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  // Finish the jobs in hand; anything unfinished goes back to the queue when its lease ends.
  await worker.stop();
  metricsServer?.close();
  await runtime.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
