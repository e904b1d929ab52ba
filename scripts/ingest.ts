// The lean ingest server (npm run ingest): the same webhook handlers as the Next routes,
// mounted on a bare Node HTTP server for self-hosted deployments that take bursts.
import { createIngestServer } from "../lib/webhooks/ingest-server";
import { env } from "../lib/config";
import { createRuntime } from "../lib/runtime";
import { log } from "../lib/log";
import { serveProcessMetrics } from "../lib/observability/metrics-endpoint";

const config = env();
if (!config.DATABASE_URL) {
  console.error("npm run ingest needs DATABASE_URL: the embedded database belongs to the web process.");
  process.exit(2);
}
const runtime = await createRuntime(config);
const server = createIngestServer(runtime);
server.listen(config.INGEST_PORT, () => log.info({ port: config.INGEST_PORT }, "ingest server listening"));
// Its webhook counters (the shared figures come from any web instance's /api/metrics).
const metricsServer = config.INGEST_METRICS_PORT ? await serveProcessMetrics(config.INGEST_METRICS_PORT, config) : null;

const shutdown = () => {
  metricsServer?.close();
  server.close(() => void runtime.close().then(() => process.exit(0)));
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
