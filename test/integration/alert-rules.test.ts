import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderMetrics } from "../../lib/observability/metrics-endpoint";
import { createTestDatabase, type TestDatabase } from "../../lib/sandbox/database";
import { declaredMetrics } from "../helpers/prom-text";

// ops/prometheus/alerts.yml: valid, its expressions tested by promtool against series that fire
// each rule and series that do not (alerts.test.yml), a wrong threshold caught, and every metric
// it reads exported by GET /api/metrics. scripts/services.sh installs promtool (Debian's
// prometheus package); without it this test fails, unless PROMTOOL_OPTIONAL=1 says a machine
// without it may skip the promtool part.

const DIR = path.resolve(__dirname, "../../ops/prometheus");
const RULES = path.join(DIR, "alerts.yml");
const promtool = spawnSync("promtool", ["--version"]).status === 0;
const optional = process.env.PROMTOOL_OPTIONAL === "1";

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string }> }>;
}
const rules = () => (parse(fs.readFileSync(RULES, "utf8")) as RuleFile).groups.flatMap((group) => group.rules);

function runPromtool(args: string[], cwd: string) {
  const result = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

describe("alert rules", () => {
  it("has promtool, or is told it may do without", () => {
    if (!promtool && !optional) throw new Error("promtool is not installed: run `bash scripts/services.sh` (or set PROMTOOL_OPTIONAL=1 to skip the promtool checks)");
  });

  it.skipIf(!promtool)("pass promtool's check and their unit tests", () => {
    const check = runPromtool(["check", "rules", "alerts.yml"], DIR);
    expect(check.output).toContain("SUCCESS: 8 rules found");
    expect(check.ok).toBe(true);
    const test = runPromtool(["test", "rules", "alerts.test.yml"], DIR);
    expect(test.output).toContain("SUCCESS");
    expect(test.ok).toBe(true);
  });

  it.skipIf(!promtool)("fail their unit tests when a threshold is wrong", () => {
    const planted = fs.mkdtempSync(path.join(os.tmpdir(), "alerts-"));
    try {
      fs.copyFileSync(path.join(DIR, "alerts.test.yml"), path.join(planted, "alerts.test.yml"));
      const source = fs.readFileSync(RULES, "utf8");
      const wrong = source.replace("max(entitled_access_revokes_pending_oldest_seconds) > 300", "max(entitled_access_revokes_pending_oldest_seconds) > 600");
      expect(wrong).not.toBe(source);
      fs.writeFileSync(path.join(planted, "alerts.yml"), wrong);
      const test = runPromtool(["test", "rules", "alerts.test.yml"], planted);
      expect(test.ok).toBe(false);
      expect(test.output).toContain("RefundedAccessStillGranted");
    } finally {
      fs.rmSync(planted, { recursive: true, force: true });
    }
  });

  it("cover the issue's seven thresholds", () => {
    expect(rules().map((rule) => rule.alert).sort()).toEqual(
      ["ChatErrorsAboveBaseline", "DeadLetters", "PaidWithoutAccess", "PaymentNotApplied", "ProviderQuotaHigh", "QueueBacklog", "RefundedAccessStillGranted", "WebhookFailuresHigh"].sort(),
    );
  });

  describe("read only metrics GET /api/metrics exports", () => {
    let testDb: TestDatabase;
    beforeAll(async () => {
      testDb = await createTestDatabase();
    });
    afterAll(async () => {
      await testDb.drop();
    });

    it("every entitled_* name in an expression", async () => {
      const used = new Set(rules().flatMap((rule) => [...rule.expr.matchAll(/\bentitled_\w+/g)].map((match) => match[0])));
      expect(used.size).toBeGreaterThanOrEqual(8);
      const exported = declaredMetrics((await renderMetrics(testDb.db)).body);
      const missing = [...used].filter((name) => !exported.has(name));
      expect(missing).toEqual([]);
    });
  });
});
