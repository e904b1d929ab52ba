import { describe, expect, it } from "vitest";
import { sandboxedProviders, sandboxLogLines, type SandboxConfig, type SandboxPlan } from "../../lib/sandbox/plan";

const CIRCLE_TOKEN = "circle-secret-token-123";
const KIT_KEY = "kit-secret-key-456";
const URLS = { circle: "http://127.0.0.1:40001/api/admin/v2", kit: "http://127.0.0.1:40002" };

const circleSandboxed = `sandbox: Circle is sandboxed: a local stand-in at ${URLS.circle} (CIRCLE_API_TOKEN not set)`;
const kitSandboxed = `sandbox: Kit is sandboxed: a local stand-in at ${URLS.kit} (KIT_API_KEY not set)`;
const circleConfigured = "sandbox: Circle uses the configured credentials (CIRCLE_API_TOKEN)";
const kitConfigured = "sandbox: Kit uses the configured credentials (KIT_API_KEY)";

const cases: Array<{ name: string; config: SandboxConfig; plan: SandboxPlan; lines: string[] }> = [
  {
    name: "both missing: both sandboxed",
    config: { production: false },
    plan: { circle: true, kit: true },
    lines: [circleSandboxed, kitSandboxed],
  },
  {
    name: "Circle missing: only Circle sandboxed",
    config: { production: false, kitKey: KIT_KEY },
    plan: { circle: true, kit: false },
    lines: [circleSandboxed, kitConfigured],
  },
  {
    name: "Kit missing: only Kit sandboxed",
    config: { production: false, circleToken: CIRCLE_TOKEN },
    plan: { circle: false, kit: true },
    lines: [circleConfigured, kitSandboxed],
  },
  {
    name: "both set: nothing sandboxed",
    config: { production: false, circleToken: CIRCLE_TOKEN, kitKey: KIT_KEY },
    plan: { circle: false, kit: false },
    lines: [circleConfigured, kitConfigured],
  },
  {
    name: "blank credentials count as missing",
    config: { production: false, circleToken: "  ", kitKey: "" },
    plan: { circle: true, kit: true },
    lines: [circleSandboxed, kitSandboxed],
  },
  {
    name: "production, both set: never sandboxes",
    config: { production: true, circleToken: CIRCLE_TOKEN, kitKey: KIT_KEY },
    plan: { circle: false, kit: false },
    lines: [],
  },
  {
    name: "production, both missing: never sandboxes",
    config: { production: true },
    plan: { circle: false, kit: false },
    lines: [],
  },
  {
    name: "production, one missing: never sandboxes",
    config: { production: true, circleToken: CIRCLE_TOKEN },
    plan: { circle: false, kit: false },
    lines: [],
  },
];

describe("sandboxedProviders", () => {
  it.each(cases)("$name", ({ config, plan }) => {
    expect(sandboxedProviders(config)).toEqual(plan);
  });
});

describe("sandboxLogLines", () => {
  it.each(cases)("$name", ({ config, lines }) => {
    expect(sandboxLogLines(config, URLS)).toEqual(lines);
  });

  it.each(cases)("$name: never logs a secret", ({ config }) => {
    const text = sandboxLogLines(config, URLS).join("\n");
    expect(text).not.toContain(CIRCLE_TOKEN);
    expect(text).not.toContain(KIT_KEY);
  });

  it("leaves the address out when the stand-in's URL is not known", () => {
    expect(sandboxLogLines({ production: false, kitKey: KIT_KEY })).toEqual([
      "sandbox: Circle is sandboxed: a local stand-in (CIRCLE_API_TOKEN not set)",
      kitConfigured,
    ]);
  });
});
