import { ConfigError, parseEnv } from "../config";
import { fail, pass, read, type CheckItem, type CheckResult, type EnvSource } from "./types";

// The environment, parsed as production parses it (lib/config.ts), plus what only the launch
// checks need: each missing or malformed variable with its fix.

const GENERATE = "generate one with `openssl rand -base64 32`";

const FIXES: Record<string, string> = {
  DATABASE_URL: "set it to your PostgreSQL connection string (postgres://user:password@host/db; on Neon the pooled one)",
  STRIPE_WEBHOOK_SECRET:
    "copy the signing secret (whsec_…) of the Stripe webhook endpoint for PUBLIC_URL/api/webhooks/stripe (Stripe Dashboard → Developers → Webhooks → the endpoint → Reveal)",
  KIT_WEBHOOK_SECRET: "copy the secret of your Kit webhook for PUBLIC_URL/api/webhooks/kit",
  CIRCLE_API_TOKEN: "create an Admin API v2 token in Circle (Settings → Developers → Tokens) and set it here",
  KIT_API_KEY: "create a v4 API key in Kit (Settings → Developer → API keys) and set it here",
  CHAT_IDENTITY_SECRET: `${GENERATE}; the host site signs customer identity tokens with the same value`,
  ADMIN_TOKEN: `${GENERATE} (24 characters at least)`,
  SESSION_SECRET: `${GENERATE} (32 characters at least)`,
  REDIS_URL: "set REDIS_URL (redis://…) or both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, so every instance shares the rate limits",
  CRON_SECRET: `${GENERATE} (16 characters at least)`,
  PUBLIC_URL: "set it to the https:// address people reach the app at, e.g. https://support.example.com",
  STRIPE_SECRET_KEY:
    "create a restricted key in Stripe (Developers → API keys) with read access to Balance and Webhook Endpoints, and set it here (the doctor alone uses it)",
  EMAIL_DOMAIN: "set it to the domain your customer email is sent from (the From address's domain), e.g. example.com",
  DKIM_SELECTOR: "set it to the DKIM selector your email sender gave you (the first label of <selector>._domainkey.<domain>)",
};

export function fixFor(variable: string, problem: string): string {
  const known = FIXES[variable];
  if (known) return known;
  return `set ${variable} so that it ${problem.replace(/^must /, "is ").replace(/^is required.*$/, "is set")}`;
}

/** The variables only the launch checks need (the app runs without them). */
export const LAUNCH_VARIABLES = ["PUBLIC_URL", "STRIPE_SECRET_KEY", "EMAIL_DOMAIN", "DKIM_SELECTOR"] as const;

export function checkEnvironment(source: EnvSource): CheckResult {
  const id = "env";
  const title = "Environment complete and well formed for production";
  const problems: { name: string; problem: string }[] = [];
  if (source.APP_MODE?.trim() === "demo") problems.push({ name: "APP_MODE", problem: "is demo (built-in defaults, the demo shown)" });
  try {
    parseEnv({ ...source, APP_MODE: "production" });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.message.split("\n").slice(1)) {
      const match = /^\s*([^:]+): (.*)$/.exec(line);
      if (match?.[1] && match[2]) problems.push({ name: match[1], problem: match[2] });
    }
  }
  const reported = new Set(problems.map((problem) => problem.name));
  for (const key of LAUNCH_VARIABLES) {
    if (!reported.has(key) && !read(source, key)) problems.push({ name: key, problem: "is required to launch" });
  }
  const publicUrl = read(source, "PUBLIC_URL");
  if (publicUrl && !reported.has("PUBLIC_URL") && URL.canParse(publicUrl) && new URL(publicUrl).protocol !== "https:") {
    problems.push({ name: "PUBLIC_URL", problem: "must be an https:// address" });
  }
  if (problems.length === 0) return pass(id, title, "every production variable is set and well formed");
  const items: CheckItem[] = problems.map(({ name, problem }) => ({
    name,
    problem,
    fix: name === "APP_MODE" ? "unset APP_MODE (or set it to production)" : fixFor(name, problem),
  }));
  return fail(
    id,
    title,
    `${items.length} variable${items.length === 1 ? "" : "s"} missing or invalid: ${items.map((item) => item.name).join(", ")}`,
    items.map((item) => `${item.name}: ${item.fix}`).join("\n"),
    items,
  );
}
