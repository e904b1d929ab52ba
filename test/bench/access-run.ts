// Payment to access alone (npx tsx test/bench/access-run.ts): the same run as step 4 of the
// ingest benchmark, without the throughput cells, so it needs no Next build. Settings as
// there: BENCH_PURCHASES, BENCH_PURCHASE_RATE, BENCH_WORKER_CONCURRENCY, BENCH_CIRCLE_LATENCY_MS,
// BENCH_SETTLE_S, BENCH_QUIET_WAIT_S, BENCH_POSTGRES_URL.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { accessRun, accessRunSettings, accessSettings } from "./access";
import { cleanUp, cleanups, createBenchDatabase } from "./common";
import { freePort, startNode, waitForHttp } from "./processes";

const settings = z
  .object({
    ...accessSettings,
    BENCH_QUIET_WAIT_S: z.coerce.number().min(0).default(60),
    BENCH_POSTGRES_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/postgres"),
  })
  .parse(process.env);

const start = (name: string, args: string[], env: Record<string, string>) => {
  const child = startNode(name, args, env);
  cleanups.push(() => child.stop());
  return child;
};

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-bench-"));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const { url: databaseUrl, db } = await createBenchDatabase(settings.BENCH_POSTGRES_URL, 2);
  const secret = `whsec_bench_${crypto.randomBytes(16).toString("hex")}`;
  const port = await freePort();
  const ingest = start("ingest", ["--import", "tsx", "scripts/ingest.ts"], {
    DATABASE_URL: databaseUrl,
    STRIPE_WEBHOOK_SECRET: secret,
    APP_MODE: "demo",
    LOG_LEVEL: "warn",
    INGEST_PORT: String(port),
  });
  const ingestOrigin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${ingestOrigin}/api/health`, ingest, 60_000);
  console.log(`payment to access: ${settings.BENCH_PURCHASES} purchases at ${settings.BENCH_PURCHASE_RATE}/s through the ingest server`);
  await accessRun({
    db,
    databaseUrl,
    ingestOrigin,
    secret,
    tmp,
    start,
    ...accessRunSettings(settings),
    quietWaitS: settings.BENCH_QUIET_WAIT_S,
  });
}

try {
  await main();
} catch (error) {
  console.error(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
