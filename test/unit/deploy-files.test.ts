import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkDeployFiles,
  dockerIgnored,
  imageSource,
  interpolate,
  knownEnvKeys,
  parseCompose,
  parseDockerfile,
  parseEnvFile,
  PLACEHOLDER_SECRET,
  type DeployFiles,
  type Repo,
} from "../helpers/deploy-files";

// The deployment files cannot drift from the product: compose.yaml's commands are package.json's
// scripts (documented in the README) or the standalone server the Dockerfile builds, its variables
// are lib/config.ts's and make a valid production config, the images hold what each command loads,
// vercel.json's cron calls a route that exists. No container engine runs here: this reads the files.

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

const repo: Repo = {
  isFile: (file) => fs.statSync(path.join(ROOT, file), { throwIfNoEntry: false })?.isFile() ?? false,
  isDir: (dir) => fs.statSync(path.join(ROOT, dir), { throwIfNoEntry: false })?.isDirectory() ?? false,
  read: (file) => (fs.existsSync(path.join(ROOT, file)) ? fs.readFileSync(path.join(ROOT, file), "utf8") : undefined),
};

const files: DeployFiles = {
  compose: read("compose.yaml"),
  dockerfile: read("Dockerfile"),
  dockerignore: read(".dockerignore"),
  envExample: read(".env.example"),
  vercel: read("vercel.json"),
  packageJson: read("package.json"),
  readme: read("README.md"),
  nextConfig: read("next.config.ts"),
};

/** The checker on the real files with one of them changed. */
const withFile = (name: keyof DeployFiles, change: (text: string) => string) => {
  const changed = change(files[name]);
  expect(changed, `the planted change to ${name} did not apply`).not.toBe(files[name]);
  return checkDeployFiles({ ...files, [name]: changed }, repo);
};

describe("the deployment files match the product", () => {
  it("the checker finds no drift", () => {
    expect(checkDeployFiles(files, repo)).toEqual([]);
  });

  it("compose runs the README's commands: web, workers, ingest, a one-shot migration, PostgreSQL and Redis", () => {
    const { refs } = parseCompose(files.compose, new Proxy({}, { get: () => "x" }));
    const required = new Set(refs.filter((ref) => ref.required).map((ref) => ref.name));
    const vars = Object.entries(parseEnvFile(files.envExample).values).map(([key, value]) => [key, value || (required.has(key) ? PLACEHOLDER_SECRET : "")]);
    const { services } = parseCompose(files.compose, Object.fromEntries(vars));
    const commands = Object.fromEntries(services.map((service) => [service.name, service.command?.join(" ")]));
    expect(commands).toMatchObject({ web: "node server.js", worker: "npm run worker", ingest: "npm run ingest", migrate: "npm run db:migrate" });
    expect(services.map((service) => service.name).sort()).toEqual(["ingest", "migrate", "postgres", "redis", "web", "worker"]);
    const image = (name: string) => services.find((service) => service.name === name)?.image ?? "";
    expect(image("postgres")).toMatch(/^postgres:1[56]/);
    expect(image("redis")).toMatch(/^redis:7/);
    const worker = services.find((service) => service.name === "worker")!;
    expect(Number(worker.replicas)).toBeGreaterThanOrEqual(1);
  });

  it("every required secret comes from .env, which .env.example documents with blank values", () => {
    const { refs } = parseCompose(files.compose, new Proxy({}, { get: () => "x" }));
    const required = new Set(refs.filter((ref) => ref.required).map((ref) => ref.name));
    expect([...required].sort()).toEqual(
      ["ADMIN_TOKEN", "CHAT_IDENTITY_SECRET", "CIRCLE_API_TOKEN", "KIT_API_KEY", "KIT_WEBHOOK_SECRET", "POSTGRES_PASSWORD", "SESSION_SECRET", "STRIPE_WEBHOOK_SECRET"],
    );
    // And compose refuses to start with one of them blank.
    const blank = Object.fromEntries([...required].map((name) => [name, PLACEHOLDER_SECRET]));
    expect(() => parseCompose(files.compose, { ...blank, SESSION_SECRET: "" })).toThrow(/SESSION_SECRET/);
  });

  it("the runtime images run as an unprivileged user and carry the migrations and the catalog", () => {
    const stages = parseDockerfile(files.dockerfile);
    const stage = (name: string) => stages.find((s) => s.name === name)!;
    expect(stage("web").user).toBe("node");
    expect(stage("tools").user).toBe("node");
    expect(stage("web").cmd).toEqual(["node", "server.js"]);
    expect(stage("build").env.NEXT_OUTPUT).toBe("standalone");
    expect(stages.at(-1)?.name, "`docker build .` gives the web image").toBe("web");
    expect(imageSource(stages, "tools", "prisma/migrations/migration_lock.toml", repo, files.dockerignore)).toBe("context");
    expect(imageSource(stages, "tools", "lib/lifecycle/plan-catalog.json", repo, files.dockerignore)).toBe("context");
    expect(imageSource(stages, "web", "lib/lifecycle/plan-catalog.json", repo, files.dockerignore)).toBe("context");
    // The generated Prisma client is not in the build context: it comes from the deps stage.
    expect(imageSource(stages, "tools", "lib/generated/prisma/client.ts", repo, files.dockerignore)).toBe("stage:deps");
  });

  it("the Vercel cron calls the drain route every minute, and the route answers GET", () => {
    const vercel = JSON.parse(files.vercel) as { crons: Array<{ path: string; schedule: string }> };
    expect(vercel.crons).toContainEqual({ path: "/api/jobs/drain", schedule: "* * * * *" });
    expect(fs.existsSync(path.join(ROOT, "app/api/jobs/drain/route.ts"))).toBe(true);
  });
});

describe("the checker flags planted drift", () => {
  it("a command naming a script package.json does not have", () => {
    expect(withFile("compose", (text) => text.replace('["npm", "run", "worker"]', '["npm", "run", "workers"]'))).toContain(
      'worker: runs `npm run workers`, but package.json has no "workers" script',
    );
  });

  it("a script renamed in package.json under compose's feet", () => {
    const problems = withFile("packageJson", (text) => text.replace('"ingest": "tsx scripts/ingest.ts"', '"ingest:server": "tsx scripts/ingest.ts"'));
    expect(problems).toContain('ingest: runs `npm run ingest`, but package.json has no "ingest" script');
  });

  it("a variable lib/config.ts does not know", () => {
    const problems = withFile("compose", (text) => text.replace("  REDIS_URL: redis://redis:6379\n", "  REDIS_URL: redis://redis:6379\n  REDIS_HOST: redis\n"));
    expect(problems).toContain("web: sets REDIS_HOST, which lib/config.ts does not know");
    expect(problems).toContain("worker: sets REDIS_HOST, which lib/config.ts does not know");
  });

  it("a variable production requires, missing", () => {
    const problems = withFile("compose", (text) => text.replace(/ {2}SESSION_SECRET: .*\n/, ""));
    expect(problems.some((problem) => /^web: Invalid environment:.*SESSION_SECRET: is required in production/.test(problem))).toBe(true);
    expect(problems.some((problem) => /^worker: Invalid environment:.*SESSION_SECRET/.test(problem))).toBe(true);
    expect(problems).toContain(".env.example lists SESSION_SECRET, which compose.yaml never reads");
  });

  it("a secret with a real value in .env.example, and a variable it does not list", () => {
    expect(withFile("envExample", (text) => text.replace("ADMIN_TOKEN=\n", "ADMIN_TOKEN=abcdefghijklmnopqrstuvwxyz\n"))).toContain(
      ".env.example: ADMIN_TOKEN is a required secret and must be left blank",
    );
    expect(withFile("envExample", (text) => text.replace(/\n# Jobs each worker[^\n]*\nWORKER_CONCURRENCY=\n/, "\n"))).toContain(
      "compose.yaml reads ${WORKER_CONCURRENCY}, which .env.example does not list",
    );
  });

  it("a published port the process does not listen on", () => {
    const problems = withFile("compose", (text) => text.replace('INGEST_PORT: "3001"', 'INGEST_PORT: "3002"'));
    expect(problems).toContain("ingest: listens on INGEST_PORT=3002, but publishes 3001");
    expect(problems).toContain("ingest: the healthcheck does not probe port 3002");
  });

  it("a web service that would also run the outbox", () => {
    expect(withFile("compose", (text) => text.replace('RUN_WORKER: "0"', 'RUN_WORKER: "1"'))).toContain(
      "web: the web service must set RUN_WORKER=0 (the worker service runs the outbox)",
    );
  });

  it("a runtime image running as root", () => {
    const problems = withFile("dockerfile", (text) => text.replace(/USER node\nEXPOSE 3000/, "EXPOSE 3000"));
    expect(problems).toContain('Dockerfile: stage "web" runs as root (no USER)');
  });

  it("an image without the migrations, the catalog or the generated client", () => {
    expect(withFile("dockerfile", (text) => text.replace("COPY prisma ./prisma\n", ""))).toContain('migrate: image "tools" lacks prisma/migrations');
    expect(withFile("dockerignore", (text) => `${text}prisma/migrations\n`)).toContain('migrate: image "tools" lacks prisma/migrations');
    expect(withFile("dockerfile", (text) => text.replace("COPY lib/lifecycle/plan-catalog.json ./lib/lifecycle/plan-catalog.json\n", ""))).toContain(
      'web: image "web" lacks lib/lifecycle/plan-catalog.json',
    );
    const problems = withFile("dockerfile", (text) => text.replace("COPY --from=deps /app/lib/generated ./lib/generated\n", ""));
    expect(problems).toContain('worker: image "tools" lacks lib/generated/prisma/client.ts, which `npm run worker` loads');
  });

  it("a script that starts loading a folder the image does not carry, or a dev-only package", () => {
    const moved: Repo = {
      ...repo,
      read: (file) => (file === "scripts/worker.ts" ? `import "../tools/index";\nimport "vitest";\n${repo.read(file)}` : repo.read(file)),
    };
    const problems = checkDeployFiles(files, moved);
    expect(problems).toContain('worker: image "tools" lacks tools/index.ts, which `npm run worker` loads');
    expect(problems).toContain("worker: `npm run worker` imports vitest, which is not a production dependency (the image installs --omit=dev)");
  });

  it("a standalone server the build no longer produces", () => {
    expect(withFile("nextConfig", (text) => text.replace('process.env.NEXT_OUTPUT === "standalone"', 'process.env.NEXT_OUTPUT === "export"'))).toContain(
      'next.config.ts does not turn on output: "standalone" for NEXT_OUTPUT=standalone',
    );
    expect(withFile("dockerfile", (text) => text.replace("ENV NEXT_OUTPUT=standalone\n", ""))).toContain(
      'web: the build stage "build" does not set NEXT_OUTPUT=standalone',
    );
  });

  it("a cron calling a route that does not exist, or one Vercel cannot call with GET", () => {
    expect(withFile("vercel", (text) => text.replace("/api/jobs/drain", "/api/jobs/drains"))).toContain(
      "vercel.json: cron path /api/jobs/drains has no route (app/api/jobs/drains/route.ts)",
    );
    const postOnly: Repo = {
      ...repo,
      read: (file) => (file === "app/api/jobs/drain/route.ts" ? "export async function POST() { return new Response(); }\n" : repo.read(file)),
    };
    expect(checkDeployFiles(files, postOnly)).toContain("vercel.json: app/api/jobs/drain/route.ts exports no GET handler (Vercel Cron calls with GET)");
  });

  it("secrets in the build context", () => {
    expect(withFile("dockerignore", (text) => text.replace(/^\.env\n/m, "").replace(/^\.env\.\*\n/m, ""))).toContain(".dockerignore does not exclude .env");
  });
});

describe("the checker's parsers", () => {
  it("interpolates like Compose", () => {
    expect(interpolate("a${X:-d}b${Y-e}$$", { X: "", Y: "" }).value).toBe("adb$");
    expect(interpolate("${X}", { X: "v" }).refs).toEqual([{ name: "X", required: false }]);
    expect(() => interpolate("${X:?set X}", { X: "" })).toThrow("X: set X");
    expect(interpolate("${X?set X}", { X: "" }).value).toBe("");
  });

  it("matches .dockerignore patterns, negations and folders", () => {
    const ignore = ".env\n.env.*\n!.env.example\nlib/generated\n*.tsbuildinfo\n";
    expect(dockerIgnored(ignore, ".env")).toBe(true);
    expect(dockerIgnored(ignore, ".env.local")).toBe(true);
    expect(dockerIgnored(ignore, ".env.example")).toBe(false);
    expect(dockerIgnored(ignore, "lib/generated/prisma/client.ts")).toBe(true);
    expect(dockerIgnored(ignore, "lib/config.ts")).toBe(false);
    expect(dockerIgnored(ignore, "tsconfig.tsbuildinfo")).toBe(true);
  });

  it("knows lib/config.ts's variables and only those", () => {
    expect(knownEnvKeys(["DATABASE_URL", "RUN_WORKER", "CRON_SECRET", "POSTGRES_PASSWORD", "REDIS_HOST"])).toEqual(new Set(["DATABASE_URL", "RUN_WORKER", "CRON_SECRET"]));
  });
});
