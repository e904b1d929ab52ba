// npm run worker: an outbox worker process. Run as many as you like against PostgreSQL.
import { env } from "../lib/config";
import { log } from "../lib/log";
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

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  // Finish the jobs in hand; anything unfinished goes back to the queue when its lease ends.
  await worker.stop();
  await runtime.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
