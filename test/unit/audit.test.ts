import { describe, expect, it } from "vitest";
import { allowlistSchema, evaluateAudit, type Allowlist } from "../../lib/security/audit";

// Planted `npm audit --omit=dev --json` output (report v2): the evaluator fails a high or critical
// advisory unless the allowlist names it with a reason and a recent review.
const today = new Date("2026-11-30T12:00:00Z");
const GHSA = "GHSA-abcd-efgh-ijkl";

function report(vias: { source: number; name: string; severity: string; url?: string }[], extra: Record<string, unknown> = {}) {
  const vulnerabilities: Record<string, unknown> = { ...extra };
  for (const via of vias) {
    vulnerabilities[via.name] = {
      name: via.name,
      severity: via.severity,
      isDirect: false,
      via: [{ source: via.source, name: via.name, dependency: via.name, title: `${via.name} is vulnerable`, url: via.url ?? `https://github.com/advisories/${GHSA}`, severity: via.severity, range: "<1.0.0" }],
      effects: [],
      range: "<1.0.0",
      nodes: [`node_modules/${via.name}`],
      fixAvailable: true,
    };
  }
  return JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: {} } });
}

const none: Allowlist = { advisories: [] };
const allow = (entry: Partial<Allowlist["advisories"][number]> = {}): Allowlist =>
  allowlistSchema.parse({ advisories: [{ id: 1001, package: "left-pad", reason: "only the CLI path is affected; we never call it", reviewed: "2026-11-01", ...entry }] });

describe("dependency audit evaluator", () => {
  it("passes a clean report", () => {
    expect(evaluateAudit(report([]), none, today)).toMatchObject({ status: "checked", failures: [] });
  });

  it.each(["high", "critical"])("fails a %s advisory", (severity) => {
    const verdict = evaluateAudit(report([{ source: 1001, name: "left-pad", severity }]), none, today);
    expect(verdict).toMatchObject({ status: "checked", failures: [{ package: "left-pad", id: 1001, ghsa: GHSA, severity }] });
  });

  it("ignores low and moderate advisories, and entries that only point at another package", () => {
    const extra = { wrapper: { name: "wrapper", severity: "high", via: ["left-pad"], effects: [] } };
    const verdict = evaluateAudit(report([{ source: 1, name: "left-pad", severity: "moderate" }, { source: 2, name: "other", severity: "low" }], extra), none, today);
    expect(verdict).toMatchObject({ status: "checked", failures: [] });
  });

  it.each([
    ["its npm number", 1001],
    ["its GHSA id", GHSA],
  ])("passes an advisory allowlisted by %s", (_case, id) => {
    const verdict = evaluateAudit(report([{ source: 1001, name: "left-pad", severity: "critical" }]), allow({ id }), today);
    expect(verdict).toMatchObject({ status: "checked", failures: [], allowed: [{ package: "left-pad" }], unusedEntries: [] });
  });

  it("does not let an entry for another package or advisory through", () => {
    const verdict = evaluateAudit(report([{ source: 1001, name: "left-pad", severity: "high" }]), allow({ package: "right-pad" }), today);
    expect(verdict).toMatchObject({ status: "checked", failures: [{ package: "left-pad" }], unusedEntries: ["right-pad:1001"] });
  });

  it("stops honouring an entry whose review is older than 90 days", () => {
    const verdict = evaluateAudit(report([{ source: 1001, name: "left-pad", severity: "high" }]), allow({ reviewed: "2026-06-01" }), today);
    expect(verdict).toMatchObject({ status: "checked", failures: [{ package: "left-pad" }] });
    if (verdict.status === "checked") expect(verdict.staleEntries[0]).toMatch(/left-pad:1001 \(reviewed 2026-06-01/);
  });

  it("refuses an allowlist entry without a reason or review date", () => {
    expect(allowlistSchema.safeParse({ advisories: [{ id: 1, package: "x", reason: "", reviewed: "2026-11-01" }] }).success).toBe(false);
    expect(allowlistSchema.safeParse({ advisories: [{ id: 1, package: "x", reason: "not reachable from our code" }] }).success).toBe(false);
  });

  it.each([
    ["the registry's 405 (no audit endpoint)", JSON.stringify({ message: "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk", statusCode: 405 }), /405 Method Not Allowed/],
    ["npm's error object (offline)", JSON.stringify({ error: { code: "ENOTFOUND", summary: "request to https://registry.npmjs.org failed", detail: "" } }), /request to .* failed/],
    ["no output at all", "", /no JSON/],
  ])("calls %s unavailable, not a finding", (_case, output, reason) => {
    const verdict = evaluateAudit(output, none, today);
    expect(verdict.status).toBe("unavailable");
    if (verdict.status === "unavailable") expect(verdict.reason).toMatch(reason);
  });
});
