// The outbox worker as its own process, for the payment-to-access benchmark (there is no
// worker entry point in the product yet). Configured by the environment like any process;
// prints "worker ready" once it polls, stops cleanly on SIGTERM.
import { env } from "../../lib/config";
import { createRuntime } from "../../lib/runtime";

const runtime = await createRuntime(env());
const worker = runtime.createWorker();
worker.start();
console.log(`worker ready (${worker.id}, concurrency ${runtime.env.WORKER_CONCURRENCY}, poll ${runtime.env.WORKER_POLL_MS} ms)`);

const shutdown = () => {
  void worker
    .stop()
    .then(() => runtime.close())
    .then(() => process.exit(0));
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
