// Runs once when the Next server starts. On the embedded database the web process is the
// only one that can open it, so the outbox worker runs here; with PostgreSQL it runs here
// only when RUN_WORKER=1 (otherwise in `npm run worker` processes).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env } = await import("./lib/config");
  const config = env();
  if (!config.OPENAI_API_KEY) {
    // The offline model trains its classifier on first use (seconds of CPU, the event loop
    // held): at start-up, not on the first customer's message.
    const [{ classifier }, { log }] = await Promise.all([import("./lib/chat/nlu/classifier"), import("./lib/log")]);
    const started = performance.now();
    void classifier().then(
      () => log.info({ ms: Math.round(performance.now() - started) }, "offline model trained"),
      (error: Error) => log.error({ err: error.message }, "offline model could not be trained; the first chat message tries again"),
    );
  }
  const inProcess = config.RUN_WORKER === "1" || (!config.DATABASE_URL && config.RUN_WORKER !== "0");
  if (!inProcess) return;
  const { createRuntimeWorker, getRuntime } = await import("./lib/runtime");
  const { log } = await import("./lib/log");
  const worker = createRuntimeWorker(await getRuntime());
  worker.start();
  log.info({ workerId: worker.id }, "outbox worker running in the web process");
}
