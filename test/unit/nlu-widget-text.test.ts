import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../../lib/chat/language";
import { WIDGET_TEXT, widgetLanguage } from "../../lib/chat/widget-text";

describe("widget text", () => {
  it.each([
    [["de-AT", "en-US"], "de"],
    [["ja-JP", "pt-BR"], "pt"],
    [["FR"], "fr"],
    [["es_MX"], "es"],
    [["ja", "zh-CN"], "en"],
    [[], "en"],
  ] as const)("browser languages %j -> %s", (languages, expected) => {
    expect(widgetLanguage(languages)).toBe(expected);
  });

  it("speaks every language the bot speaks, each in its own words", () => {
    for (const language of LANGUAGES) {
      const text = WIDGET_TEXT[language];
      expect(text.placeholder.length).toBeGreaterThan(0);
      if (language !== "en") expect(text.placeholder).not.toBe(WIDGET_TEXT.en.placeholder);
      expect(text.handoff("Ana", "T-0A1B2C3D")).toContain("T-0A1B2C3D");
    }
  });

  it("stays client-safe: it imports nothing at run time", () => {
    const source = readFileSync(new URL("../../lib/chat/widget-text.ts", import.meta.url), "utf8");
    const imports = source.match(/^import .*$/gm) ?? [];
    expect(imports.every((line) => line.startsWith("import type "))).toBe(true);
  });
});
