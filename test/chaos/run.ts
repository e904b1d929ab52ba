// npm run chaos [-- --events 10000 --customers 1000 --seed N --reorder-days 1 --workers 3 --fault-rate 0.1]: the chaos replay on PostgreSQL
// (test/chaos/driver.ts), with its report. Exits 1 unless duplicates and lost are 0 and every
// customer converged. The seed is printed first, so a failing run can be replayed exactly.
import { parseArgs } from "node:util";
import { z } from "zod";
import { createTestDatabase, testDbKind } from "../../lib/sandbox/database";
import { formatReport, runChaos } from "./driver";

const { values } = parseArgs({
  options: { events: { type: "string" }, customers: { type: "string" }, seed: { type: "string" }, workers: { type: "string" }, "fault-rate": { type: "string" }, "reorder-days": { type: "string" } },
});
const args = z
  .object({
    events: z.coerce.number().int().min(1).default(10_000),
    customers: z.coerce.number().int().min(1).default(1_000),
    seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(() => Math.floor(Math.random() * 2 ** 31)),
    workers: z.coerce.number().int().min(1).max(16).default(3),
    "fault-rate": z.coerce.number().min(0).max(1).default(0.1),
    "reorder-days": z.coerce.number().min(0).max(365).default(1),
  })
  .parse(values);

if (testDbKind !== "postgres") {
  console.error("npm run chaos runs on PostgreSQL: worker and server processes share the database (TEST_DB=postgres, TEST_POSTGRES_URL).");
  process.exit(2);
}
console.log(`chaos seed ${args.seed}`);
const testDb = await createTestDatabase();
const started = performance.now();
try {
  const report = await runChaos({
    seed: args.seed,
    events: args.events,
    customers: args.customers,
    workers: args.workers,
    faultRate: args["fault-rate"],
    reorderWindowSeconds: args["reorder-days"] * 86_400,
    database: { db: testDb.db, url: testDb.url! },
    convergeTimeoutMs: 600_000,
    log: (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`),
  });
  console.log(formatReport(report));
  const passed = report.duplicates.length === 0 && report.lost.length === 0 && report.converged === report.customers && report.extraRecords === 0;
  console.log(passed ? "PASS" : "FAIL");
  process.exitCode = passed ? 0 : 1;
} finally {
  await testDb.drop();
}
