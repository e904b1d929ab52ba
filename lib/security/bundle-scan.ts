import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { CREDENTIAL_URL_VARIABLES, ENV_VARIABLES, SECRET_VARIABLES } from "../config";

// The bundle scan (scripts/scan-bundle.ts): the app is built with a known canary value in every
// secret variable, then every file a browser can fetch is searched for those values and for the
// name of any server-only variable. The lists come from lib/config.ts's schema, so a secret
// added there is covered without touching this file.

/** Variables a browser may legitimately see the name of: none of ours but the framework's own. */
const PUBLIC_NAMES = new Set(["NODE_ENV"]);

/** Names no client file may mention: every variable the schema reads, bar NEXT_PUBLIC_* and NODE_ENV. */
export const serverOnlyNames = (): string[] => ENV_VARIABLES.filter((name) => !PUBLIC_NAMES.has(name) && !name.startsWith("NEXT_PUBLIC_"));

// Shapes the schema (or the launch doctor) may expect; the canary part stays unique.
const PREFIXES: Record<string, string> = { STRIPE_WEBHOOK_SECRET: "whsec_", STRIPE_SECRET_KEY: "sk_test_", OPENAI_API_KEY: "sk-" };

export interface Canaries {
  /** The environment to build with: a canary in every secret variable and in every URL's password. */
  env: Record<string, string>;
  /** Every value that must not appear in a client file, with the variable it stands for. */
  values: { name: string; value: string }[];
}

/** Fresh canaries for every secret variable and credential-bearing URL; long enough for every minimum-length rule. */
export function makeCanaries(): Canaries {
  const env: Record<string, string> = {};
  const values: Canaries["values"] = [];
  for (const name of SECRET_VARIABLES) {
    const value = `${PREFIXES[name] ?? ""}canary${randomBytes(16).toString("hex")}`;
    env[name] = value;
    values.push({ name, value });
  }
  for (const name of CREDENTIAL_URL_VARIABLES) {
    const password = `canary${randomBytes(16).toString("hex")}`;
    env[name] = name === "REDIS_URL" ? `redis://canary:${password}@127.0.0.1:1` : `postgresql://canary:${password}@127.0.0.1:1/canary`;
    values.push({ name: `${name} password`, value: password });
  }
  // QSTASH_TOKEN asks for PUBLIC_URL; the demo mode keeps the build what it is without them.
  env.PUBLIC_URL ??= "http://localhost:3000";
  env.APP_MODE = "demo";
  return { env, values };
}

export interface Finding {
  file: string;
  /** What was found: a canary (by its variable) or a server-only variable name. */
  what: string;
  kind: "secret value" | "variable name";
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Every file under `dirs` searched for the secret values (anywhere, also URL-encoded) and the
 * variable names (as whole identifiers: `ADMIN_TOKEN`, not `MY_ADMIN_TOKENS`).
 */
export async function scanFiles(dirs: string[], needles: { values: { name: string; value: string }[]; names: string[] }, filter: (file: string) => boolean = () => true): Promise<Finding[]> {
  const findings: Finding[] = [];
  const names = needles.names.map((name) => ({ name, pattern: new RegExp(`(?<![A-Za-z0-9_])${escape(name)}(?![A-Za-z0-9_])`) }));
  for (const dir of dirs) {
    for await (const file of walk(dir)) {
      if (!filter(file)) continue;
      const text = await readFile(file, "latin1");
      for (const { name, value } of needles.values) {
        if (text.includes(value) || text.includes(encodeURIComponent(value)) || text.includes(Buffer.from(value).toString("base64"))) {
          findings.push({ file, what: name, kind: "secret value" });
        }
      }
      for (const { name, pattern } of names) if (pattern.test(text)) findings.push({ file, what: name, kind: "variable name" });
    }
  }
  return findings;
}

/** What a browser can fetch from a build: `.next/static`, and the prerendered pages the server sends as they are. */
export const clientDirs = (distDir: string) => [path.join(distDir, "static"), path.join(distDir, "server", "app")];
export const isClientFile = (distDir: string) => (file: string) =>
  file.startsWith(path.join(distDir, "static") + path.sep) || /\.(html|rsc|body|meta)$/.test(file);
