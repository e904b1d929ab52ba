import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../../lib/chat/language";
import { trainClassifier } from "../../lib/chat/nlu/classifier";
import { measureNlu, rate } from "../../evals/utterances/measure";

// The offline model's understanding measured as `npm run bench:nlu` does, on the eval sentences
// it never trained on. The targets are 95% overall and 90% per language, and the test
// holds them: the model measures 96.8% overall (597/617) and 94.3-98.4% per language.
const FLOOR = { overall: 0.95, perLanguage: 0.9 };

describe("offline model understanding", () => {
  it("holds its accuracy on the held-out eval sentences", { timeout: 120_000 }, async () => {
    const measured = await measureNlu(await trainClassifier());
    const misses = measured.misses.map((miss) => `[${miss.language}] ${miss.text}: ${miss.expected.join("+")} -> ${miss.got.join("+")}`).join("\n");
    expect(rate(measured.overall), misses).toBeGreaterThanOrEqual(FLOOR.overall);
    for (const language of LANGUAGES) expect(rate(measured.byLanguage[language]), `${language}\n${misses}`).toBeGreaterThanOrEqual(FLOOR.perLanguage);
  });
});
