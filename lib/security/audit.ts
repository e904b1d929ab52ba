import { z } from "zod";

// The dependency audit (scripts/audit.ts, part of npm test): `npm audit --omit=dev --json` is
// read here, and every high or critical advisory in a production dependency fails the run
// unless audit-allowlist.json lists it with a reason and a recent review date.

export const FAILING_SEVERITIES = new Set(["high", "critical"]);
/** An allowlist entry older than this must be reviewed again (and its date moved) to keep counting. */
export const ALLOWLIST_REVIEW_DAYS = 90;

export const allowlistSchema = z.object({
  advisories: z.array(
    z.object({
      /** npm's advisory number (`via[].source`) or the GitHub advisory id (GHSA-xxxx-xxxx-xxxx). */
      id: z.union([z.number().int(), z.string().regex(/^GHSA(-[0-9a-z]{4}){3}$/)]),
      package: z.string().min(1),
      reason: z.string().trim().min(10, "say why it does not affect this product"),
      /** When someone last checked the reason still holds (YYYY-MM-DD). */
      reviewed: z.iso.date(),
    }),
  ),
});
export type Allowlist = z.infer<typeof allowlistSchema>;

export interface Advisory {
  id: number | null;
  ghsa: string | null;
  package: string;
  severity: string;
  title: string;
  url: string;
}

export type AuditVerdict =
  | { status: "unavailable"; reason: string }
  | { status: "checked"; failures: Advisory[]; allowed: Advisory[]; staleEntries: string[]; unusedEntries: string[] };

const viaSchema = z.object({
  source: z.number().optional(),
  name: z.string(),
  title: z.string().default(""),
  url: z.string().default(""),
  severity: z.string(),
});
const reportSchema = z.object({
  vulnerabilities: z.record(z.string(), z.object({ via: z.array(z.union([z.string(), viaSchema.loose()])) }).loose()),
});

/** The advisories a (v2) npm audit report names, each once, whatever it reaches through. */
export function advisoriesOf(report: z.infer<typeof reportSchema>): Advisory[] {
  const seen = new Map<string, Advisory>();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    for (const via of vulnerability.via) {
      if (typeof via === "string") continue; // reached through another package, listed under that one
      const ghsa = /GHSA(-[0-9a-z]{4}){3}/i.exec(via.url)?.[0] ?? null;
      const key = `${via.name}:${via.source ?? ghsa ?? via.title}`;
      if (!seen.has(key)) seen.set(key, { id: via.source ?? null, ghsa, package: via.name, severity: via.severity, title: via.title, url: via.url });
    }
  }
  return [...seen.values()];
}

/**
 * Judges `npm audit --json` output. Output that is not an audit report (the endpoint refused or
 * could not be reached: npm prints `{ error }` or the HTTP failure) is "unavailable", with why.
 */
export function evaluateAudit(output: string, allowlist: Allowlist, today: Date): AuditVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return { status: "unavailable", reason: `npm audit printed no JSON: ${output.trim().slice(0, 200) || "(nothing)"}` };
  }
  const report = reportSchema.safeParse(parsed);
  if (!report.success) {
    const failure = parsed as { error?: { summary?: string; code?: string }; message?: string };
    const reason = failure.error?.summary || failure.error?.code || failure.message || "not an audit report";
    return { status: "unavailable", reason };
  }
  const entryKey = (entry: Allowlist["advisories"][number]) => `${entry.package}:${entry.id}`;
  const staleEntries = allowlist.advisories
    .filter((entry) => (today.getTime() - Date.parse(entry.reviewed)) / 86_400_000 > ALLOWLIST_REVIEW_DAYS)
    .map((entry) => `${entryKey(entry)} (reviewed ${entry.reviewed}, more than ${ALLOWLIST_REVIEW_DAYS} days ago)`);
  const current = allowlist.advisories.filter((entry) => (today.getTime() - Date.parse(entry.reviewed)) / 86_400_000 <= ALLOWLIST_REVIEW_DAYS);
  const used = new Set<string>();
  const failures: Advisory[] = [];
  const allowed: Advisory[] = [];
  for (const advisory of advisoriesOf(report.data)) {
    if (!FAILING_SEVERITIES.has(advisory.severity)) continue;
    const entry = current.find((candidate) => candidate.package === advisory.package && (candidate.id === advisory.id || candidate.id === advisory.ghsa));
    if (entry) {
      used.add(entryKey(entry));
      allowed.push(advisory);
    } else failures.push(advisory);
  }
  const unusedEntries = current.map(entryKey).filter((key) => !used.has(key));
  return { status: "checked", failures, allowed, staleEntries, unusedEntries };
}
