// Old-vs-new worker CPU per purchase (npm run bench:worker:compare -- --base <git-rev> [--rounds N]).
// Runs test/bench/worker-cpu.ts from a git worktree of <base> and from the current checkout, and
// compares what each prints: the worker's CPU ms and statements per purchase, and each job kind's
// CPU ms and statements per run. This VM's CPU figures swing by a third between runs, so two
// separate `npm run bench:worker` runs can't show a 10% change; here the two sides run in one
// session, alternately (base first in odd rounds, current first in even ones), so drift in the
// machine's speed hits both alike, and the tables give median and min–max over the rounds.
// Statement and run counts don't depend on speed: they are printed once per side, flagged if a
// round differed. Each run is a child process with this process's environment (BENCH_PURCHASES,
// BENCH_BATCH, BENCH_POSTGRES_URL pass through) and the current checkout's tsx.
// The worktree gets a symlink to the current checkout's node_modules (so both sides run on the
// current dependencies; a note says when package-lock.json differs from <base>) and its own
// lib/generated from `npm run generate`; it is removed at the end, on failure and on Ctrl-C too.
// --current <dir> (default: this checkout's root) runs that checkout as the "current" side instead,
// e.g. another worktree (with node_modules and lib/generated, as above). Pointing it at a worktree
// of <base> itself checks the comparison: ratios near 1, identical counts.
import { execFile, execFileSync, type ExecFileOptions } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { z } from "zod";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const BENCH = "test/bench/worker-cpu.ts";
const USAGE = "usage: npm run bench:worker:compare -- --base <git-rev> [--rounds N] [--current <dir>]";

const git = (...args: string[]) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const tail = (text: string, lines = 20) => text.trimEnd().split("\n").slice(-lines).join("\n");
const fail = (message: string): never => {
  console.error(`bench:worker:compare: ${message}`);
  process.exit(2);
};

const Args = z.object({
  base: z
    .string({ error: "--base <git-rev> is required" })
    .refine((rev) => { try { git("rev-parse", "--verify", "--quiet", `${rev}^{commit}`); return true; } catch { return false; } }, { error: "--base is not a commit in this repository", abort: true })
    .refine((rev) => { try { git("cat-file", "-e", `${rev}:${BENCH}`); return true; } catch { return false; } }, `--base has no ${BENCH}`),
  rounds: z.coerce.number({ error: "--rounds must be a number" }).int("--rounds must be a whole number").min(1, "--rounds must be at least 1").max(100, "--rounds must be at most 100"),
  current: z
    .string()
    .transform((dir) => path.resolve(dir))
    .refine((dir) => fs.existsSync(path.join(dir, BENCH)), `--current has no ${BENCH}`),
});

function readArgs() {
  let values;
  try {
    ({ values } = parseArgs({ options: { base: { type: "string" }, rounds: { type: "string", default: "5" }, current: { type: "string", default: repoRoot } } }));
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  const parsed = Args.safeParse(values);
  return parsed.success ? parsed.data : fail(`${z.prettifyError(parsed.error)}\n${USAGE}`);
}

/** What one run of worker-cpu.ts printed. */
interface Sample {
  cpu: Map<string, number>; // row -> CPU ms
  counts: Map<string, number>; // row -> statements, runs or claim rounds
}

const num = (text: string) => Number(text.replaceAll(",", ""));
const PURCHASE = "worker, per purchase";
const OUTSIDE = "outside handlers, per purchase";

function parseOutput(stdout: string): Sample {
  const total = /^worker per purchase: ([\d.,]+) ms CPU, ([\d.,]+) statements; claim rounds (\d+)/m.exec(stdout);
  if (!total) throw new Error(`no "worker per purchase" line in its output:\n${tail(stdout)}`);
  const cpu = new Map([[PURCHASE, num(total[1]!)]]);
  const statements = new Map([[`statements: ${PURCHASE}`, num(total[2]!)]]);
  const runs = new Map<string, number>();
  for (const [, kind, n, ms, count] of stdout.matchAll(/^\| ([^|]+?) \| ([\d,]+) \| ([\d.,]+) \| ([\d.,]+) \|$/gm)) {
    cpu.set(`${kind}, per run`, num(ms!));
    statements.set(`statements: ${kind}, per run`, num(count!));
    runs.set(`runs: ${kind}`, num(n!));
  }
  const outside = /^outside handlers .*per purchase: ([\d.,]+) ms CPU, ([\d.,]+) statements/m.exec(stdout);
  if (outside) {
    cpu.set(OUTSIDE, num(outside[1]!));
    statements.set(`statements: ${OUTSIDE}`, num(outside[2]!));
  }
  return { cpu, counts: new Map([...statements, ...runs, ["claim rounds", num(total[3]!)]]) };
}

let running: ReturnType<typeof execFile> | undefined;
let interrupted = false;
const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");

async function runBench(label: string, cwd: string): Promise<Sample> {
  if (interrupted) throw new Error("interrupted");
  // Its own process group: Ctrl-C reaches it once, forwarded below, not twice (a second SIGINT
  // would kill it before it drops its database).
  // (execFile hands its options to spawn, which takes `detached`; its option type omits it.)
  const options = { cwd, env: process.env, maxBuffer: 64 << 20, detached: true } as ExecFileOptions;
  const run = promisify(execFile)(tsx, [BENCH], options);
  running = run.child;
  try {
    return parseOutput(String((await run).stdout));
  } catch (error) {
    if (interrupted) throw new Error("interrupted");
    const { code, stderr } = error as { code?: number; stderr?: string };
    const detail = stderr === undefined ? (error as Error).message : `exited with ${code}; last lines of its stderr:\n${tail(stderr)}`;
    throw new Error(`${label} (${path.join(cwd, BENCH)}) ${detail}`);
  } finally {
    running = undefined;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** current/base of the medians. */
const ratio = (current: number[], base: number[]) => (current.length && base.length ? (median(current) / median(base)).toFixed(2) : "–");

/** Rows (in first-seen order, base then current) of one metric, with each side's values over the rounds. */
function collect(samples: { base: Sample[]; current: Sample[] }, pick: (s: Sample) => Map<string, number>) {
  const rows = [...new Set([...samples.base, ...samples.current].flatMap((s) => [...pick(s).keys()]))];
  const values = (side: Sample[], row: string) => side.map((s) => pick(s).get(row)).filter((v) => v !== undefined);
  return rows.map((row) => ({ row, base: values(samples.base, row), current: values(samples.current, row) }));
}

function printTables(samples: { base: Sample[]; current: Sample[] }, baseLabel: string, currentLabel: string) {
  const header = `| | ${baseLabel} | ${currentLabel} | current/base |\n|---|---|---|---|`;
  console.log(`\n### Worker CPU, ms: median (min–max) over ${samples.base.length} rounds\n\n${header}`);
  const cpu = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : "–");
  for (const { row, base, current } of collect(samples, (s) => s.cpu)) {
    console.log(`| ${row} | ${cpu(base)} | ${cpu(current)} | ${ratio(current, base)} |`);
  }

  console.log(`\n### Statements and counts (the same in every round unless flagged)\n\n${header}`);
  const varied: string[] = [];
  const count = (xs: number[], row: string, side: string) => {
    if (!xs.length) return "–";
    const distinct = [...new Set(xs)];
    if (distinct.length > 1) varied.push(`${row} (${side}): ${xs.join(", ")}`);
    return distinct.length > 1 ? `**varies: ${Math.min(...xs)}–${Math.max(...xs)}**` : String(xs[0]);
  };
  for (const { row, base, current } of collect(samples, (s) => s.counts)) {
    console.log(`| ${row} | ${count(base, row, "base")} | ${count(current, row, "current")} | ${ratio(current, base)} |`);
  }
  if (varied.length) console.log(`\nFlagged, counts that differed between rounds:\n${varied.map((v) => `- ${v}`).join("\n")}`);
}

async function main() {
  const args = readArgs();
  const baseRev = git("rev-parse", "--short", `${args.base}^{commit}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "worker-compare-"));
  const worktree = path.join(tmp, "base");
  let added = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      interrupted = true;
      running?.kill(signal);
    });
  }
  try {
    git("worktree", "add", "--detach", worktree, baseRev);
    added = true;
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(worktree, "node_modules"));
    try {
      execFileSync("npm", ["run", "generate"], { cwd: worktree, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      throw new Error(`npm run generate in the base worktree failed:\n${tail(String((error as { stderr?: string }).stderr ?? error))}`);
    }
    if (args.current === repoRoot) {
      try { git("diff", "--quiet", baseRev, "--", "package-lock.json"); } catch {
        console.log(`note: package-lock.json differs from ${baseRev}; both sides run on this checkout's node_modules`);
      }
    }

    const currentLabel = args.current === repoRoot ? "current" : `current (${args.current})`;
    const samples = { base: [] as Sample[], current: [] as Sample[] };
    const sides = [
      { key: "base", label: `base ${baseRev}`, cwd: worktree },
      { key: "current", label: currentLabel, cwd: args.current },
    ] as const;
    for (let round = 1; round <= args.rounds; round += 1) {
      const order = round % 2 ? sides : [sides[1], sides[0]];
      const line: string[] = [];
      for (const side of order) {
        const sample = await runBench(`${side.label}, round ${round}`, side.cwd);
        samples[side.key].push(sample);
        line.push(`${side.label} ${sample.cpu.get(PURCHASE)?.toFixed(2)} ms`);
      }
      console.log(`round ${round}/${args.rounds}: ${line.join(", ")} CPU per purchase`);
    }
    printTables(samples, `base ${baseRev}`, currentLabel);
  } finally {
    // Unlink node_modules ourselves so removing the worktree can never reach into the real one.
    fs.rmSync(path.join(worktree, "node_modules"), { force: true });
    if (added) {
      try { git("worktree", "remove", "--force", worktree); } catch (error) {
        console.error(`could not remove the worktree ${worktree}: ${(error as { stderr?: string }).stderr ?? error}`);
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  console.error(`bench:worker:compare: ${(error as Error).message}`);
  process.exitCode = 1;
}
