// A worker in a process of its own, for crash tests: the parent SIGKILLs it mid-job.
import { openDatabase } from "../../lib/db";
import { createWorker } from "../../lib/jobs/worker";
import { parseCatalog } from "../../lib/lifecycle/catalog";
import { handlersForFakes } from "../../lib/sandbox/handlers";

const setting = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`child worker: ${name} is required`);
  return value;
};

const db = await openDatabase(process.env.CHILD_DATABASE_URL ? { databaseUrl: process.env.CHILD_DATABASE_URL } : { dataDir: setting("CHILD_DATA_DIR") });
const catalog = parseCatalog(JSON.parse(setting("CHILD_CATALOG")));
const handlers = handlersForFakes({ db, catalog, circleUrl: setting("CHILD_CIRCLE_URL"), kitUrl: setting("CHILD_KIT_URL"), timeoutMs: 30_000 });
const worker = createWorker({ db, handlers, concurrency: 4, pollMs: 10, leaseMs: Number(setting("CHILD_LEASE_MS")) });
worker.start();
process.stdout.write("ready\n");
