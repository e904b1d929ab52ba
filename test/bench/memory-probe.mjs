// Preloaded into a benchmarked server (node --expose-gc --import ./test/bench/memory-probe.mjs):
// on SIGUSR2 it collects garbage twice and writes process.memoryUsage() as JSON to
// BENCH_MEMORY_PROBE_FILE, so a memory figure is what is still referenced, not what the
// collector has not reached yet. Benchmarks only; the product never loads it.
import fs from "node:fs";

const file = process.env.BENCH_MEMORY_PROBE_FILE;
if (!file) throw new Error("memory-probe: BENCH_MEMORY_PROBE_FILE is not set");
if (typeof globalThis.gc !== "function") throw new Error("memory-probe: run node with --expose-gc");

process.on("SIGUSR2", () => {
  globalThis.gc();
  globalThis.gc();
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
  fs.renameSync(`${file}.tmp`, file);
});
