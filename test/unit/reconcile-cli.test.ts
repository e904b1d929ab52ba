import { describe, expect, it } from "vitest";
import { formatSummary, parseReconcileArgs } from "../../lib/reconcile/cli";
import { countByKind } from "../../lib/reconcile/classify";
import type { ReconcileReport } from "../../lib/reconcile/run";

describe("npm run reconcile arguments", () => {
  it.each([
    [[], { dryRun: false }],
    [["--dry-run"], { dryRun: true }],
    [["--provider", "kit"], { dryRun: false, providers: ["kit"] }],
    [["--dry-run", "--provider=circle", "--provider", "stripe", "--provider", "circle"], { dryRun: true, providers: ["circle", "stripe"] }],
  ])("%j", (argv, expected) => {
    expect(parseReconcileArgs(argv)).toEqual(expected);
  });
  it.each([[["--provider", "paypal"]], [["--provider"]], [["--force"]], [["kit"]]])("refuses %j with the usage", (argv) => {
    expect(() => parseReconcileArgs(argv)).toThrow(/usage: npm run reconcile/);
  });
});

describe("the summary table", () => {
  it("shows each provider's status and requests and each kind's counts", () => {
    const drift = [
      { kind: "tag_missing" as const, customerId: "c1", target: { type: "tag" as const, tagId: 1, subscriberId: null }, banned: false, provider: "kit" as const, action: "repair" as const, outcome: "repaired" as const },
    ];
    const report: ReconcileReport = {
      dryRun: false,
      startedAt: "2026-12-01T00:00:00.000Z",
      finishedAt: "2026-12-01T00:00:01.000Z",
      customers: 3,
      providers: { kit: { status: "done", requests: 4 }, circle: { status: "stopped", requests: 80, reason: "stopped: share spent" } },
      drift,
      found: countByKind(drift),
      outcomes: { repaired: 1, ticketed: 0, reported: 0, known: 0, superseded: 0, would_repair: 0, would_ticket: 0 },
    };
    const text = formatSummary(report);
    expect(text).toMatch(/^Reconciliation: 3 customers/);
    expect(text).toMatch(/kit\s+done\s+4/);
    expect(text).toMatch(/circle\s+stopped\s+80\s+stopped: share spent/);
    expect(text).toMatch(/tag_missing\s+1\s+1\s+0\s+0\s+0/);
  });
});
