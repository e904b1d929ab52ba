import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CREDENTIAL_URL_VARIABLES, parseEnv, SECRET_VARIABLES } from "../../lib/config";
import { clientDirs, isClientFile, makeCanaries, scanFiles, serverOnlyNames } from "../../lib/security/bundle-scan";

let dist: string;
beforeEach(async () => {
  dist = await mkdtemp(path.join(tmpdir(), "bundle-scan-"));
  await mkdir(path.join(dist, "static", "chunks"), { recursive: true });
  await mkdir(path.join(dist, "server", "app"), { recursive: true });
  await writeFile(path.join(dist, "static", "chunks", "clean.js"), `console.log("hello"); const SUPPORT_ADMIN_TOKENS = 1; process.env.NODE_ENV;`);
});
afterEach(async () => {
  await rm(dist, { recursive: true, force: true });
});

const scan = (canaries = makeCanaries()) => scanFiles(clientDirs(dist), { values: canaries.values, names: serverOnlyNames() }, isClientFile(dist));

describe("bundle scan", () => {
  it("covers every secret variable of the config schema", () => {
    for (const name of ["STRIPE_WEBHOOK_SECRET", "KIT_WEBHOOK_SECRET", "CIRCLE_API_TOKEN", "KIT_API_KEY", "CHAT_IDENTITY_SECRET", "ADMIN_TOKEN", "SESSION_SECRET", "OPENAI_API_KEY", "UPSTASH_REDIS_REST_TOKEN", "CRON_SECRET", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY", "QSTASH_TOKEN", "DEMO_ADMIN_PASSWORD"]) {
      expect(SECRET_VARIABLES).toContain(name);
    }
    expect(CREDENTIAL_URL_VARIABLES).toEqual(["DATABASE_URL", "REDIS_URL"]);
    expect(serverOnlyNames()).not.toContain("NODE_ENV");
  });

  it("makes canaries the config accepts (the build reads it)", () => {
    const { env, values } = makeCanaries();
    expect(() => parseEnv(env)).not.toThrow();
    expect(values.map((value) => value.name)).toEqual([...SECRET_VARIABLES, "DATABASE_URL password", "REDIS_URL password"]);
  });

  it("passes a clean build", async () => {
    expect(await scan()).toEqual([]);
  });

  it("fails on a planted secret value, plain, URL-encoded or base64", async () => {
    const canaries = makeCanaries();
    const session = canaries.values.find((value) => value.name === "SESSION_SECRET")!.value;
    const redis = canaries.values.find((value) => value.name === "REDIS_URL password")!.value;
    const admin = canaries.values.find((value) => value.name === "ADMIN_TOKEN")!.value;
    await writeFile(path.join(dist, "static", "chunks", "leak.js"), `const a = "${session}";`);
    await writeFile(path.join(dist, "static", "chunks", "leak2.js"), `fetch("/x?t=${encodeURIComponent(redis)}")`);
    await writeFile(path.join(dist, "server", "app", "page.html"), `<script>${Buffer.from(admin).toString("base64")}</script>`);
    const found = await scan(canaries);
    expect(found.map((f) => [path.basename(f.file), f.kind, f.what]).sort()).toEqual([
      ["leak.js", "secret value", "SESSION_SECRET"],
      ["leak2.js", "secret value", "REDIS_URL password"],
      ["page.html", "secret value", "ADMIN_TOKEN"],
    ]);
  });

  it("fails on a server-only variable name as a whole identifier", async () => {
    await writeFile(path.join(dist, "static", "chunks", "name.js"), `const t = process.env.STRIPE_WEBHOOK_SECRET;`);
    expect(await scan()).toEqual([{ file: path.join(dist, "static", "chunks", "name.js"), kind: "variable name", what: "STRIPE_WEBHOOK_SECRET" }]);
  });

  it("leaves server-only files alone (they never reach a browser)", async () => {
    await writeFile(path.join(dist, "server", "app", "route.js"), `const t = process.env.ADMIN_TOKEN;`);
    expect(await scan()).toEqual([]);
  });
});
