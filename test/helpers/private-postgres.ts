import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

// A PostgreSQL server of the test's own (initdb in a temporary folder, its own port), for tests
// that stop and start the server under load: the shared one (scripts/services.sh) serves the
// other test files running at the same time. Uses the binaries of the Debian package that
// scripts/services.sh installs; PostgreSQL refuses to run as root, so as root it runs as the
// package's `postgres` user.

const run = promisify(execFile);

export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** Stops the server; "immediate" is a crash (no checkpoint; recovery replays the WAL on start). */
  stop(mode: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** Stops it if running and deletes its folder. */
  destroy(): Promise<void>;
}

/** The newest installed server's bin folder, or null when PostgreSQL is not installed as a Debian package. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).filter((name) => fs.existsSync(path.join(root, name, "bin", "pg_ctl")));
  versions.sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  return newest ? path.join(root, newest, "bin") : null;
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql (scripts/services.sh installs them)");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-private-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: group } = await run("id", ["-g", "postgres"]);
    fs.chownSync(dataDir, Number(stdout.trim()), Number(group.trim()));
  }
  const pgRun = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", path.join(bin, tool), ...args]) : run(path.join(bin, tool), args);
  const cluster = path.join(dataDir, "data");
  await pgRun("initdb", ["-D", cluster, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  // Sockets in the cluster's own folder: /var/run/postgresql may not be writable by this user.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${cluster} -c fsync=on -c max_connections=200`;
  const start = async () => {
    await pgRun("pg_ctl", ["-D", cluster, "-o", options, "-l", path.join(cluster, "server.log"), "-w", "-t", "60", "start"]);
  };
  let running = false;
  await start();
  running = true;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode) {
      await pgRun("pg_ctl", ["-D", cluster, "-m", mode, "-w", "stop"]);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await pgRun("pg_ctl", ["-D", cluster, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
