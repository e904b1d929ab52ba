import { Resolver } from "node:dns/promises";
import { z } from "zod";
import { CREDENTIAL_URL_VARIABLES, SECRET_VARIABLES } from "../config";
import { doctorExitCode, runDoctor, summarize, type CheckResult, type CheckStatus, type DoctorDeps, type EnvSource } from "../doctor";
import { FAKE_CIRCLE_TOKEN } from "../sandbox/circle";
import { FAKE_KIT_API_KEY } from "../sandbox/kit";
import { json } from "../webhooks/http";
import type { GuardDeps } from "./guard";
import { authorizedQuery } from "./http";

// The launch doctor in the console (/admin/doctor and GET /api/admin/doctor): the same checks as
// `npm run doctor`, run against this server's environment with short timeouts so the page answers
// within seconds, and turned into what the page shows. Every text is scrubbed of the environment's
// secret values first: a provider's error message may echo what it was sent.

/** Per network check (Stripe, Circle, Kit, TLS, the test delivery, each DNS lookup); they run in parallel. */
export const CONSOLE_DOCTOR_TIMEOUT_MS = 3_000;

export const REDACTED = "[redacted]";
/** Shorter values are not credentials anyone sets; redacting them would garble the text. */
const MIN_SECRET_LENGTH = 6;

/** Every credential in `env`: each secret variable (each part of a rolled, comma-separated one) and each URL's password. */
export function secretValuesOf(env: EnvSource): string[] {
  const values = new Set<string>();
  const add = (value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) values.add(trimmed);
  };
  for (const name of SECRET_VARIABLES) {
    add(env[name]);
    env[name]?.split(",").forEach(add);
  }
  for (const name of CREDENTIAL_URL_VARIABLES) {
    const url = env[name]?.trim();
    if (url && URL.canParse(url)) add(decodeURIComponent(new URL(url).password));
  }
  // Longest first: a secret that contains another is replaced whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** `text` with every secret value (as is or URL-encoded) replaced by [redacted]. */
export function redact(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) scrubbed = scrubbed.replaceAll(form, REDACTED);
  }
  return scrubbed;
}

export type Requirement = "must-have" | "recommended";

export interface DoctorRow {
  id: string;
  title: string;
  status: CheckStatus;
  statusLabel: string;
  /**
   * A warning is the doctor's recommendation (it never fails the run); every other outcome is a
   * must-have's: it passes, fails the launch, or waits on a must-have it depends on (skip).
   */
  requirement: Requirement;
  detail: string;
  /** The fix, one line per step; only for a failure or a warning. */
  fix: string[];
  items: { name: string; problem: string; fix: string }[];
  /** Set when a demo stand-in answered instead of the provider. */
  sandboxed: string | null;
}

export interface DoctorView {
  /** No must-have failed. */
  ready: boolean;
  headline: string;
  counts: Record<CheckStatus, number>;
  rows: DoctorRow[];
  /** The server runs the demo (APP_MODE=demo or no DATABASE_URL): the checks describe a demo, not a launch. */
  demo: boolean;
  checkedAt: string;
  tookMs: number;
}

const STATUS_LABEL: Record<CheckStatus, string> = { pass: "Pass", fail: "Fail", warn: "Warning", skip: "Skipped" };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Production never sandboxes; the demo's stand-ins are reached with their own well-known credentials. */
function sandboxNotes(env: EnvSource, demo: boolean): Record<string, string> {
  if (!demo) return {};
  const notes: Record<string, string> = {};
  if (env.CIRCLE_API_TOKEN?.trim() === FAKE_CIRCLE_TOKEN) notes.circle = "Sandboxed: the demo's local stand-in for Circle answered, not Circle. Set CIRCLE_API_TOKEN to check the real one.";
  if (env.KIT_API_KEY?.trim() === FAKE_KIT_API_KEY) notes.kit = "Sandboxed: the demo's local stand-in for Kit answered, not Kit. Set KIT_API_KEY to check the real one.";
  return notes;
}

/** Whether `env` runs the demo, as lib/config.ts decides it. */
export const isDemoEnv = (env: EnvSource) => {
  const mode = env.APP_MODE?.trim();
  return mode ? mode === "demo" : !env.DATABASE_URL?.trim();
};

/** Pure: the doctor's results for `env` -> what the page and the API show, with no secret value in any text. */
export function doctorView(results: readonly CheckResult[], env: EnvSource, run: { checkedAt: Date; tookMs: number }): DoctorView {
  const secrets = secretValuesOf(env);
  const scrub = (text: string) => redact(text, secrets);
  const demo = isDemoEnv(env);
  const notes = sandboxNotes(env, demo);
  const rows = results.map((result): DoctorRow => {
    const advice = result.status === "fail" || result.status === "warn";
    return {
      id: result.id,
      title: scrub(result.title),
      status: result.status,
      statusLabel: STATUS_LABEL[result.status],
      requirement: result.status === "warn" ? "recommended" : "must-have",
      detail: scrub(result.detail),
      fix: advice && result.fix ? scrub(result.fix).split("\n") : [],
      items: (result.items ?? []).map((item) => ({ name: scrub(item.name), problem: scrub(item.problem), fix: scrub(item.fix) })),
      sandboxed: notes[result.id] ?? null,
    };
  });
  const counts = summarize([...results]);
  const ready = doctorExitCode([...results]) === 0;
  const warnings = counts.warn > 0 ? `; ${plural(counts.warn, "recommendation")} to look at` : "";
  const headline = ready
    ? `Ready to go live: every must-have passes${warnings}.`
    : `Not ready to go live: ${plural(counts.fail, "must-have")} failing${warnings}. Fix ${counts.fail === 1 ? "it" : "them"} and run the checks again.`;
  return { ready, headline, counts, rows, demo, checkedAt: run.checkedAt.toISOString(), tookMs: run.tookMs };
}

/** The doctor's I/O for the console; tests pass fakes (a resolver, a CA, clients). */
export type ConsoleDoctorDeps = Partial<Omit<DoctorDeps, "env">>;

/** Runs every check against `env` with the console's short timeouts, and returns the view. */
export async function runConsoleDoctor(env: EnvSource, deps: ConsoleDoctorDeps = {}): Promise<DoctorView> {
  const started = Date.now();
  const results = await runDoctor({
    resolver: new Resolver({ timeout: CONSOLE_DOCTOR_TIMEOUT_MS, tries: 1 }),
    timeoutMs: CONSOLE_DOCTOR_TIMEOUT_MS,
    ...deps,
    env,
  });
  return doctorView(results, env, { checkedAt: deps.now?.() ?? new Date(), tookMs: Date.now() - started });
}

export type DoctorRouteDeps = GuardDeps & { doctorEnv: EnvSource; doctor?: ConsoleDoctorDeps };

const emptyQuery = z.object({}).strict();

/** GET /api/admin/doctor: the launch checklist for this server's environment (admin only; takes no query). */
export async function doctorRoute(request: Request, deps: DoctorRouteDeps): Promise<Response> {
  const query = await authorizedQuery(request, deps, emptyQuery);
  if (!query.ok) return query.response;
  return json(200, { ...(await runConsoleDoctor(deps.doctorEnv, deps.doctor)) });
}
