import { builtinModules } from "node:module";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseEnv } from "../../lib/config";

// Checks the deployment files (compose.yaml, Dockerfile, .dockerignore, .env.example, vercel.json)
// against the product they deploy: package.json's scripts and dependencies, lib/config.ts's env
// schema, the sources the scripts import, the app's routes. A pure function of the files' text and
// a read-only view of the repository, so a test can hand it planted drift.

export interface DeployFiles {
  compose: string;
  dockerfile: string;
  dockerignore: string;
  envExample: string;
  vercel: string;
  packageJson: string;
  readme: string;
  nextConfig: string;
}

/** A read-only view of the repository (paths relative to its root, `/`-separated). */
export interface Repo {
  isFile(file: string): boolean;
  isDir(dir: string): boolean;
  read(file: string): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

export interface DockerCopy {
  /** The stage copied from; undefined: the build context. */
  from?: string;
  sources: string[];
  /** Absolute path in the image. */
  dest: string;
}

export interface DockerStage {
  name: string;
  /** The stage this one starts from, when it starts from a stage. */
  parent?: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  copies: DockerCopy[];
}

/** Joins continuation lines, drops comments and the parser directive. */
function dockerInstructions(text: string): Array<{ op: string; args: string }> {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (!pending && /^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = "";
  }
  if (pending) lines.push(pending);
  return lines
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
      return { op: op.toUpperCase(), args: args.trim() };
    });
}

function shellWords(args: string): string[] {
  if (args.startsWith("[")) return JSON.parse(args) as string[];
  return args.split(/\s+/).filter(Boolean);
}

/** `K=V K2="V 2"` (or the legacy `K V`) of ENV. */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  if (!args.includes("=")) {
    const [key = "", ...rest] = args.split(/\s+/);
    pairs[key] = rest.join(" ");
    return pairs;
  }
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const [, key = "", value = ""] = match;
    pairs[key] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return pairs;
}

export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  for (const { op, args } of dockerInstructions(text)) {
    if (op === "FROM") {
      const [image = "", as, name] = args.split(/\s+/);
      const parent = stages.find((stage) => stage.name === image);
      stages.push({
        name: as?.toUpperCase() === "AS" && name ? name : String(stages.length),
        parent: parent?.name,
        workdir: parent?.workdir ?? "/",
        env: { ...(parent?.env ?? {}) },
        user: parent?.user,
        cmd: parent?.cmd,
        copies: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    if (op === "WORKDIR") stage.workdir = path.posix.resolve(stage.workdir, args);
    else if (op === "ENV") Object.assign(stage.env, envPairs(args));
    else if (op === "USER") stage.user = args;
    else if (op === "CMD") stage.cmd = shellWords(args);
    else if (op === "COPY" || op === "ADD") {
      const words = shellWords(args);
      const flags = words.filter((word) => word.startsWith("--"));
      const paths = words.filter((word) => !word.startsWith("--"));
      const from = flags.find((flag) => flag.startsWith("--from="))?.slice("--from=".length);
      const dest = paths.pop() ?? ".";
      const absolute = path.posix.resolve(stage.workdir, dest) + (dest.endsWith("/") ? "/" : "");
      stage.copies.push({ from, sources: paths, dest: absolute });
    }
  }
  return stages;
}

/** `.dockerignore` matching: the last matching pattern wins; a pattern matching a folder covers what is inside. */
export function dockerIgnored(dockerignore: string, file: string): boolean {
  const patterns = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const prefixes = file.split("/").map((_, index, parts) => parts.slice(0, index + 1).join("/"));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+/, "").replace(/\/+$/, "");
    const source = pattern
      .split("**")
      .map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*").replaceAll("?", "[^/]"))
      .join(".*");
    const regex = new RegExp(`^${source}$`);
    if (prefixes.some((prefix) => regex.test(prefix))) ignored = !negated;
  }
  return ignored;
}

function stageChain(stages: DockerStage[], name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  for (let stage = stages.find((s) => s.name === name); stage; stage = stages.find((s) => s.name === stage!.parent)) chain.unshift(stage);
  return chain;
}

/**
 * How `file` (relative to the stage's WORKDIR) gets into stage `name`: "context" (a COPY from the
 * build context whose source exists and is not ignored), "stage:<name>" (a COPY of the same path
 * from another stage), or undefined. What a build output happens to contain (Next's traced
 * standalone folder) does not count: the image must copy what the product reads by name.
 */
export function imageSource(stages: DockerStage[], name: string, file: string, repo: Repo, dockerignore: string): string | undefined {
  const chain = stageChain(stages, name);
  const workdir = chain.at(-1)?.workdir ?? "/";
  const target = path.posix.resolve(workdir, file);
  let found: string | undefined;
  for (const stage of chain) {
    for (const copy of stage.copies) {
      const intoDir = copy.dest.endsWith("/") || copy.sources.length > 1;
      for (const source of copy.sources) {
        // A folder's contents land in the destination; a file lands in it by name when it is a folder.
        const isDir = copy.from ? !path.posix.basename(source).includes(".") : source === "." || repo.isDir(source);
        const dest = intoDir && !isDir ? path.posix.join(copy.dest, path.posix.basename(source)) : copy.dest.replace(/\/$/, "") || "/";
        if (target !== dest && !target.startsWith(`${dest === "/" ? "" : dest}/`)) continue;
        const rest = target.slice(dest.length).replace(/^\//, "");
        if (copy.from) {
          // Trusted when the other stage holds it at the same place in the repository's layout
          // (a generated client, installed node_modules), not when it is some build's output.
          const fromStage = stages.find((s) => s.name === copy.from);
          const inStage = path.posix.join(path.posix.resolve(fromStage?.workdir ?? "/", source), rest);
          if (fromStage && path.posix.relative(fromStage.workdir, inStage) === path.posix.relative(workdir, target)) found = `stage:${copy.from}`;
          continue;
        }
        const contextPath = path.posix.normalize(path.posix.join(source, rest)).replace(/^\.\/?/, "");
        if ((repo.isFile(contextPath) || repo.isDir(contextPath)) && !dockerIgnored(dockerignore, contextPath)) found = "context";
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Compose
// ---------------------------------------------------------------------------------------------

export interface Interpolated {
  value: string;
  /** Every variable referenced, and whether `${VAR:?…}` / `${VAR?…}` requires it. */
  refs: Array<{ name: string; required: boolean }>;
}

/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$VAR`, `$$`. */
export function interpolate(text: string, vars: Record<string, string | undefined>): Interpolated {
  const refs: Interpolated["refs"] = [];
  const value = text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, operator?: string, word?: string, bare?: string) => {
    if (match === "$$") return "$";
    const name = (braced ?? bare)!;
    const current = vars[name];
    refs.push({ name, required: operator === ":?" || operator === "?" });
    const unset = operator?.startsWith(":") ? !current : current === undefined;
    if (operator?.endsWith("-")) return unset ? (word ?? "") : current!;
    if (operator?.endsWith("?")) {
      if (unset) throw new Error(`${name}: ${word || "required"}`);
      return current!;
    }
    return current ?? "";
  });
  return { value, refs };
}

export interface ComposeService {
  name: string;
  image?: string;
  target?: string;
  command?: string[];
  /** The service's own `environment`, interpolated. */
  environment: Record<string, string>;
  containerPorts: number[];
  healthcheck?: string;
  dependsOn: Record<string, string>;
  restart?: string;
  replicas?: string;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringMap(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((entry) => String(entry)).map((entry) => [entry.split("=")[0]!, entry.split("=").slice(1).join("=")]));
  }
  return Object.fromEntries(Object.entries(asRecord(value)).map(([key, entry]) => [key, entry === null ? "" : String(entry)]));
}

export interface ParsedCompose {
  services: ComposeService[];
  refs: Interpolated["refs"];
  volumes: string[];
}

/** Parses compose.yaml (merge keys on) and interpolates every string with `vars`. */
export function parseCompose(text: string, vars: Record<string, string | undefined>): ParsedCompose {
  const refs: Interpolated["refs"] = [];
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      const result = interpolate(node, vars);
      refs.push(...result.refs);
      return result.value;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
    return node;
  };
  const doc = asRecord(walk(parseYaml(text, { merge: true })));
  const services = Object.entries(asRecord(doc.services)).map(([name, raw]): ComposeService => {
    const service = asRecord(raw);
    const build = asRecord(service.build);
    const command = service.command;
    const health = asRecord(service.healthcheck);
    const dependsOn = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((entry) => [String(entry), "service_started"]))
      : Object.fromEntries(Object.entries(asRecord(service.depends_on)).map(([key, value]) => [key, String(asRecord(value).condition ?? "service_started")]));
    const ports = Array.isArray(service.ports) ? service.ports : [];
    return {
      name,
      image: typeof service.image === "string" ? service.image : undefined,
      target: typeof build.target === "string" ? build.target : undefined,
      command: Array.isArray(command) ? command.map(String) : typeof command === "string" ? command.split(/\s+/) : undefined,
      environment: stringMap(service.environment),
      containerPorts: ports.map((port) => Number(typeof port === "object" ? asRecord(port).target : String(port).split("/")[0]!.split(":").at(-1))),
      healthcheck: Array.isArray(health.test) ? health.test.map(String).join(" ") : typeof health.test === "string" ? health.test : undefined,
      dependsOn,
      restart: typeof service.restart === "string" ? service.restart : undefined,
      replicas: asRecord(service.deploy).replicas === undefined ? undefined : String(asRecord(service.deploy).replicas),
    };
  });
  return { services, refs, volumes: Object.keys(asRecord(doc.volumes)) };
}

/** `KEY=value` lines; `comments` says whether a comment line sits right above each key. */
export function parseEnvFile(text: string): { values: Record<string, string>; commented: Record<string, boolean> } {
  const values: Record<string, string> = {};
  const commented: Record<string, boolean> = {};
  let previous = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) {
      values[match[1]!] = match[2]!.replace(/^"(.*)"$/, "$1");
      commented[match[1]!] = previous.startsWith("#");
    }
    previous = line;
  }
  return { values, commented };
}

// ---------------------------------------------------------------------------------------------
// The product
// ---------------------------------------------------------------------------------------------

/** Which of `keys` lib/config.ts's schema knows: parseEnv keeps known keys and strips the others. */
export function knownEnvKeys(keys: Iterable<string>): Set<string> {
  const probe: Record<string, string | undefined> = { APP_MODE: "demo" };
  for (const key of keys) probe[key] = undefined;
  const parsed = parseEnv(probe) as Record<string, unknown>;
  return new Set([...keys].filter((key) => key in parsed));
}

/** A value the test puts in place of a required secret `.env.example` leaves blank (long enough for every minimum). */
export const PLACEHOLDER_SECRET = "0123456789abcdef".repeat(3);

const RELATIVE_IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The repository files `entry` loads at run time (relative imports, transitively) and the packages it needs. */
export function importClosure(entry: string, repo: Repo): { files: string[]; packages: string[]; unresolved: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const unresolved: string[] = [];
  const builtins = new Set(builtinModules);
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    return [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((candidate) => repo.isFile(candidate));
  };
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    if (!/\.tsx?$/.test(file)) return;
    const source = repo.read(file) ?? "";
    for (const match of source.matchAll(RELATIVE_IMPORT)) {
      const spec = match[1] ?? match[2];
      if (!spec) continue;
      if (spec.startsWith(".") || spec.startsWith("@/")) {
        const target = spec.startsWith("@/") ? resolve("x", `./${spec.slice(2)}`) : resolve(file, spec);
        if (target) visit(target);
        else unresolved.push(`${file}: ${spec}`);
      } else if (!spec.startsWith("node:") && !builtins.has(spec)) {
        packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages], unresolved };
}

// ---------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** Every way the deployment files have drifted from the product; empty when they agree. */
export function checkDeployFiles(files: DeployFiles, repo: Repo): string[] {
  const problems: string[] = [];
  const pkg = JSON.parse(files.packageJson) as { scripts?: Record<string, string>; dependencies?: Record<string, string> };
  const scripts = pkg.scripts ?? {};
  const dependencies = pkg.dependencies ?? {};
  const stages = parseDockerfile(files.dockerfile);
  const stageNames = new Set(stages.map((stage) => stage.name));
  const envExample = parseEnvFile(files.envExample);

  // .env.example's values, with each blank required secret filled by a placeholder.
  let compose: ParsedCompose;
  try {
    const required = new Set(parseCompose(files.compose, new Proxy({}, { get: () => "x" })).refs.filter((ref) => ref.required).map((ref) => ref.name));
    const vars = Object.fromEntries(Object.entries(envExample.values).map(([key, value]) => [key, value || (required.has(key) ? PLACEHOLDER_SECRET : "")]));
    compose = parseCompose(files.compose, vars);
  } catch (error) {
    return [`compose.yaml does not interpolate with .env.example: ${(error as Error).message}`];
  }

  // --- .env.example: exactly what compose reads, each documented, no real secrets.
  const referenced = new Set(compose.refs.map((ref) => ref.name));
  const requiredRefs = new Set(compose.refs.filter((ref) => ref.required).map((ref) => ref.name));
  for (const name of referenced) if (!(name in envExample.values)) problems.push(`compose.yaml reads \${${name}}, which .env.example does not list`);
  for (const name of Object.keys(envExample.values)) {
    if (!referenced.has(name)) problems.push(`.env.example lists ${name}, which compose.yaml never reads`);
    if (!envExample.commented[name]) problems.push(`.env.example: ${name} has no comment above it`);
    if (requiredRefs.has(name) && envExample.values[name]) problems.push(`.env.example: ${name} is a required secret and must be left blank`);
  }

  // --- Services.
  const appServices = compose.services.filter((service) => service.target !== undefined);
  for (const service of appServices) {
    if (!stageNames.has(service.target!)) problems.push(`${service.name}: build target "${service.target}" is no stage of the Dockerfile`);
  }
  const known = knownEnvKeys(appServices.flatMap((service) => Object.keys(service.environment)));
  const byCommand = (script: string) => appServices.find((service) => service.command?.join(" ") === `npm run ${script}`);
  const migrate = byCommand("db:migrate");
  if (!migrate) problems.push("no service runs `npm run db:migrate`");
  if (!byCommand("worker")) problems.push("no service runs `npm run worker`");
  if (!byCommand("ingest")) problems.push("no service runs `npm run ingest`");

  let servesWeb = false;
  for (const service of appServices) {
    const stage = stages.find((s) => s.name === service.target);
    const command = service.command ?? stage?.cmd ?? [];
    const label = `${service.name}`;

    // The command: an npm script that exists (and the README documents), or the standalone server the Dockerfile builds.
    let portVariable: "PORT" | "INGEST_PORT" | undefined;
    if (command[0] === "npm" && command[1] === "run" && command[2]) {
      const script = command[2];
      const body = scripts[script];
      if (body === undefined) problems.push(`${label}: runs \`npm run ${script}\`, but package.json has no "${script}" script`);
      else {
        if (!files.readme.includes(`npm run ${script}`)) problems.push(`${label}: \`npm run ${script}\` is not in README.md`);
        const entry = /^tsx\s+(\S+\.tsx?)$/.exec(body.trim())?.[1];
        if (!entry) problems.push(`${label}: the "${script}" script (${body}) is not \`tsx <file>\`, which the image runs from source`);
        else if (stage) {
          if (!imageSource(stages, stage.name, "package.json", repo, files.dockerignore)) problems.push(`${label}: image "${stage.name}" lacks package.json (npm run reads it)`);
          if (!imageSource(stages, stage.name, "node_modules", repo, files.dockerignore)) problems.push(`${label}: image "${stage.name}" lacks node_modules`);
          const closure = importClosure(entry, repo);
          for (const spec of closure.unresolved) problems.push(`${label}: cannot resolve import ${spec}`);
          for (const file of closure.files) {
            if (!imageSource(stages, stage.name, file, repo, files.dockerignore)) problems.push(`${label}: image "${stage.name}" lacks ${file}, which \`npm run ${script}\` loads`);
          }
          for (const name of closure.packages) {
            if (!(name in dependencies)) problems.push(`${label}: \`npm run ${script}\` imports ${name}, which is not a production dependency (the image installs --omit=dev)`);
          }
        }
        if (script === "ingest") portVariable = "INGEST_PORT";
      }
    } else if (command.join(" ") === "node server.js") {
      servesWeb = true;
      portVariable = "PORT";
      const standalone = stage?.copies.find((copy) => copy.sources.some((source) => source.endsWith(".next/standalone")));
      const builder = standalone?.from ? stages.find((s) => s.name === standalone.from) : undefined;
      if (!standalone || !builder) problems.push(`${label}: runs node server.js, but image "${service.target}" copies no .next/standalone from a build stage`);
      else if (builder.env.NEXT_OUTPUT !== "standalone") problems.push(`${label}: the build stage "${builder.name}" does not set NEXT_OUTPUT=standalone`);
      if (!/process\.env\.NEXT_OUTPUT === "standalone"/.test(files.nextConfig) || !/output: "standalone"/.test(files.nextConfig)) {
        problems.push("next.config.ts does not turn on output: \"standalone\" for NEXT_OUTPUT=standalone");
      }
      if (stage && !stage.copies.some((copy) => copy.sources.some((source) => source.endsWith(".next/static")) && copy.dest.endsWith("/.next/static"))) {
        problems.push(`${label}: image "${stage.name}" does not copy .next/static`);
      }
      if (stage && repo.isDir("public") && !imageSource(stages, stage.name, "public", repo, files.dockerignore)) problems.push(`${label}: image "${stage.name}" does not copy public/`);
      if (service.environment.RUN_WORKER !== "0") problems.push(`${label}: the web service must set RUN_WORKER=0 (the worker service runs the outbox)`);
    } else {
      problems.push(`${label}: command \`${command.join(" ")}\` is neither \`npm run <script>\` nor the standalone server`);
    }

    // The catalog every process loads at start-up (lib/runtime.ts, from the working directory).
    if (stage && !imageSource(stages, stage.name, "lib/lifecycle/plan-catalog.json", repo, files.dockerignore)) {
      problems.push(`${label}: image "${stage.name}" lacks lib/lifecycle/plan-catalog.json`);
    }
    if (service === migrate && stage && !imageSource(stages, stage.name, "prisma/migrations", repo, files.dockerignore)) {
      problems.push(`${label}: image "${stage.name}" lacks prisma/migrations`);
    }

    // Variables: each one lib/config.ts knows; together with the image's, a valid production config.
    for (const key of Object.keys(service.environment)) {
      if (!known.has(key)) problems.push(`${label}: sets ${key}, which lib/config.ts does not know`);
    }
    const containerEnv = { ...(stage?.env ?? {}), ...service.environment };
    let config: ReturnType<typeof parseEnv> | undefined;
    try {
      config = parseEnv(containerEnv);
      if (config.APP_MODE !== "production") problems.push(`${label}: does not run in production mode`);
    } catch (error) {
      problems.push(`${label}: ${(error as Error).message.replaceAll("\n", " ")}`);
    }

    // Ports: what the process listens on is what compose publishes and probes.
    if (portVariable && config) {
      const port = config[portVariable];
      if (!service.containerPorts.includes(port)) problems.push(`${label}: listens on ${portVariable}=${port}, but publishes ${service.containerPorts.join(", ") || "no port"}`);
      if (service.healthcheck !== undefined && !service.healthcheck.includes(`:${port}/`)) problems.push(`${label}: the healthcheck does not probe port ${port}`);
    } else if (service.containerPorts.length) {
      problems.push(`${label}: publishes ${service.containerPorts.join(", ")}, but listens on nothing`);
    }

    // Order: everything waits for the migration; the migration runs once.
    if (migrate && service !== migrate && service.dependsOn[migrate.name] !== "service_completed_successfully") {
      problems.push(`${label}: does not wait for ${migrate.name} to complete`);
    }
    for (const [key, variable] of [["DATABASE_URL", "postgres"], ["REDIS_URL", "redis"]] as const) {
      const host = config?.[key] ? new URL(config[key]).hostname : undefined;
      if (host && !compose.services.some((other) => other.name === host)) problems.push(`${label}: ${key} points at "${host}", which is no service (${variable})`);
    }
  }
  if (!servesWeb) problems.push("no service runs the web app (node server.js)");
  if (migrate && migrate.restart !== "no") problems.push(`${migrate.name}: a one-shot migration must not restart`);
  const worker = byCommand("worker");
  if (worker && !(Number(worker.replicas) >= 1)) problems.push(`${worker.name}: deploy.replicas must be a number of workers`);
  const database = compose.services.find((service) => service.name === "postgres");
  if (database && !database.healthcheck) problems.push("postgres: no healthcheck, so nothing can wait for it");
  if (migrate && database && migrate.dependsOn[database.name] !== "service_healthy") problems.push(`${migrate.name}: does not wait for postgres to be healthy`);

  // --- Dockerfile: unprivileged runtime images; no secrets in the build context.
  for (const target of new Set(appServices.map((service) => service.target!))) {
    const user = stages.find((stage) => stage.name === target)?.user;
    if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`Dockerfile: stage "${target}" runs as ${user ?? "root (no USER)"}`);
  }
  for (const secret of [".env", "node_modules"]) {
    if (!dockerIgnored(files.dockerignore, secret)) problems.push(`.dockerignore does not exclude ${secret}`);
  }

  // --- vercel.json: each cron calls a route that exists and answers Vercel's GET.
  const vercel = JSON.parse(files.vercel) as { crons?: Array<{ path: string; schedule: string }> };
  if (!vercel.crons?.length) problems.push("vercel.json has no cron");
  for (const cron of vercel.crons ?? []) {
    const route = `app${cron.path.split("?")[0]}/route.ts`;
    const source = repo.read(route);
    if (source === undefined) problems.push(`vercel.json: cron path ${cron.path} has no route (${route})`);
    else if (!/export\s+(?:async\s+)?function\s+GET\b|export\s+const\s+GET\b|export\s*\{[^}]*\bGET\b/.test(source)) {
      problems.push(`vercel.json: ${route} exports no GET handler (Vercel Cron calls with GET)`);
    }
    const fields = cron.schedule.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) problems.push(`vercel.json: "${cron.schedule}" is not a five-field cron expression`);
  }
  if (!knownEnvKeys(["CRON_SECRET"]).has("CRON_SECRET")) problems.push("lib/config.ts does not know CRON_SECRET, which Vercel Cron authenticates with");

  return problems;
}
