import { z } from "zod";
import { DRIFT_KINDS, RECONCILE_PROVIDERS, type ReconcileProvider } from "./classify";
import type { ReconcileReport } from "./run";

// `npm run reconcile` arguments and its summary table: pure, so both are tested without a process.

export const USAGE = "usage: npm run reconcile [-- --dry-run] [--provider circle|kit|stripe]...";

const argsSchema = z.object({ dryRun: z.boolean(), providers: z.array(z.enum(RECONCILE_PROVIDERS)).optional() });
export type ReconcileArgs = z.infer<typeof argsSchema>;

/** Parses the command line (after the script name); throws with USAGE on anything else. */
export function parseReconcileArgs(argv: readonly string[]): ReconcileArgs {
  let dryRun = false;
  const providers: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === "--dry-run") dryRun = true;
    else if (arg === "--provider") providers.push(argv[++index] ?? "");
    else if (arg.startsWith("--provider=")) providers.push(arg.slice("--provider=".length));
    else throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  const parsed = argsSchema.safeParse({ dryRun, providers: providers.length ? [...new Set(providers)] : undefined });
  if (!parsed.success) throw new Error(`--provider takes circle, kit or stripe\n${USAGE}`);
  return parsed.data;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  return [line(rows[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

/** The run as text: each provider's status and requests, then drift per kind and what was done. */
export function formatSummary(report: ReconcileReport): string {
  const providers = Object.entries(report.providers).map(([provider, status]) => [
    provider,
    status.status,
    String(status.requests),
    "reason" in status ? status.reason : "",
  ]);
  const kinds = DRIFT_KINDS.map((kind) => {
    const entries = report.drift.filter((item) => item.kind === kind);
    const count = (outcome: string) => String(entries.filter((item) => item.outcome === outcome).length);
    return [kind, String(report.found[kind]), count(report.dryRun ? "would_repair" : "repaired"), count(report.dryRun ? "would_ticket" : "ticketed"), count("reported"), count("known")];
  });
  const heading = `${report.dryRun ? "Dry run (nothing changed)" : "Reconciliation"}: ${report.customers} customers, ${report.startedAt} to ${report.finishedAt}`;
  return [
    heading,
    "",
    table([["provider", "status", "requests", "note"], ...providers]),
    "",
    table([["drift", "new", report.dryRun ? "would repair" : "repaired", report.dryRun ? "would ticket" : "ticketed", "reported", "known"], ...kinds]),
  ].join("\n");
}

export const providerLabel = (provider: ReconcileProvider) => ({ circle: "Circle", kit: "Kit", stripe: "Stripe" })[provider];
