import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../../lib/chat/language";
import { trainClassifier } from "../../lib/chat/nlu/classifier";
import { measureNlu, rate } from "../../evals/utterances/measure";

// The offline model's understanding measured as `npm run bench:nlu` does, on the eval sentences
// it never trained on. The targets are 95% overall and 90% per language; the corpus does
// not reach them yet (about 90% overall, 88-92% per language), so this gate holds the measured
// level as a floor against regressions. Raise FLOOR to the targets when the corpus gets there.
const FLOOR = { overall: 0.88, perLanguage: 0.85 };

describe("offline model understanding", () => {
  it("holds its accuracy on the held-out eval sentences", { timeout: 120_000 }, async () => {
    const measured = await measureNlu(await trainClassifier());
    const misses = measured.misses.map((miss) => `[${miss.language}] ${miss.text}: ${miss.expected.join("+")} -> ${miss.got.join("+")}`).join("\n");
    expect(rate(measured.overall), misses).toBeGreaterThanOrEqual(FLOOR.overall);
    for (const language of LANGUAGES) expect(rate(measured.byLanguage[language]), `${language}\n${misses}`).toBeGreaterThanOrEqual(FLOOR.perLanguage);
  });
});
