import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";

// Child processes for the benchmark (servers, worker) and the CPU accounting that tells
// whether a cell was limited by the machine: /proc tick counters per process tree.

const TAIL_LINES = 40;

export interface Child {
  name: string;
  pid: number;
  /** The last lines the child printed, for error reports. */
  tail(): string;
  /** Resolves once the child printed a line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Only what the children need from our environment; the rest is given explicitly. Children run as in production. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
}

/** Runs `node <args>` in its own process group, so stopping it stops its descendants too. */
export function startNode(name: string, args: string[], env: Record<string, string>): Child {
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...baseEnv(), ...env, NODE_ENV: "production" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn`);
  const pid = child.pid;
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let exitCode: number | string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    }),
  );
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      for (const watch of watchers) watch(line);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  const tail = () => lines.map((line) => `  ${name} | ${line}`).join("\n");
  return {
    name,
    pid,
    tail,
    waitForLine(pattern, timeoutMs) {
      if (lines.some((line) => pattern.test(line))) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          watchers.delete(watch);
          if (error) reject(error);
          else resolve();
        };
        const watch = (line: string) => {
          if (pattern.test(line)) done();
        };
        const timer = setTimeout(() => done(new Error(`${name}: no line matching ${pattern} after ${timeoutMs} ms\n${tail()}`)), timeoutMs);
        watchers.add(watch);
        void exited.then(() => done(new Error(`${name} exited (${String(exitCode)})\n${tail()}`)));
      });
    },
    async stop() {
      if (exitCode !== null) return;
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Polls `url` with GET until it answers 2xx. */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms (${last})\n${child.tail()}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---- CPU accounting ---------------------------------------------------------------------

/** Linux reports process times in USER_HZ ticks: 100 a second on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  comm: string;
  ticks: number;
}

function readProcs(): Map<number, ProcStat> {
  const procs = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ... utime stime cutime cstime ...": comm may contain spaces and
    // parentheses. cutime/cstime hold the children a process has reaped, so the time of a
    // PostgreSQL backend that exits (a pool closing an idle connection) stays counted.
    const close = text.lastIndexOf(")");
    const fields = text.slice(close + 2).split(" ");
    procs.set(Number(entry), {
      ppid: Number(fields[1]),
      comm: text.slice(text.indexOf("(") + 1, close),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    });
  }
  return procs;
}

function treeTicks(procs: Map<number, ProcStat>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of procs) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += procs.get(pid)?.ticks ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** All cores together; `steal` is time the hypervisor gave our virtual cores to someone else. */
function machineTicks(): { busy: number; steal: number; total: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + steal + idle + iowait };
}

/** CPU use over an interval, in percent of one core (the machine's ceiling is nproc x 100). */
export interface CpuUse {
  /** Busy time of all processes. */
  machine: number;
  /** Time the hypervisor took from our cores (a virtual machine on a busy host). */
  steal: number;
  /** This process: the load generator. */
  client: number;
  /** The measured server's process tree; null when none was given. */
  server: number | null;
  /** Every PostgreSQL process. */
  postgres: number;
  /** The machine's use outside the three above: other processes competing for the cores. */
  other: number;
}

export interface CpuMeter {
  stop(): CpuUse;
}

/** Starts measuring: this process (the load generator), one server's process tree, and PostgreSQL. */
export function startCpuMeter(serverPid: number | null): CpuMeter {
  const cores = os.availableParallelism();
  const snapshot = () => {
    const procs = readProcs();
    let postgres = 0;
    for (const stat of procs.values()) if (stat.comm === "postgres") postgres += stat.ticks;
    return {
      at: performance.now(),
      machine: machineTicks(),
      client: process.cpuUsage(),
      server: serverPid === null ? 0 : treeTicks(procs, serverPid),
      postgres,
    };
  };
  const before = snapshot();
  return {
    stop() {
      const after = snapshot();
      const seconds = (after.at - before.at) / 1000;
      const percent = (ticks: number) => (100 * ticks) / TICKS_PER_SECOND / seconds;
      const machineTotal = after.machine.total - before.machine.total;
      const clientMicros = after.client.user + after.client.system - before.client.user - before.client.system;
      const share = (ticks: number) => (machineTotal > 0 ? (100 * cores * ticks) / machineTotal : 0);
      const machine = share(after.machine.busy - before.machine.busy);
      const client = clientMicros / 10_000 / seconds;
      const server = serverPid === null ? null : percent(after.server - before.server);
      const postgres = percent(after.postgres - before.postgres);
      return {
        machine,
        steal: share(after.machine.steal - before.machine.steal),
        client,
        server,
        postgres,
        other: Math.max(0, machine - client - (server ?? 0) - postgres),
      };
    },
  };
}

/**
 * On a shared machine: waits until the cores are idle (under `threshold` % of one core over
 * one second), at most `maxWaitMs`. Resolves with the last second's use.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<CpuUse> {
  const deadline = performance.now() + maxWaitMs;
  for (;;) {
    const meter = startCpuMeter(null);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const use = meter.stop();
    if (use.machine + use.steal < threshold || performance.now() >= deadline) return use;
  }
}
