import type { Scenario } from "../scenario";
import { fieldScenarios } from "./field";
import { languageScenarios } from "./languages";
import { matrixScenarios } from "./matrix";
import { voiceScenarios } from "./voices";

/** Every scenario the suite runs; ids are unique. */
export const scenarios: Scenario[] = [...matrixScenarios, ...fieldScenarios, ...languageScenarios, ...voiceScenarios];

const seen = new Set<string>();
for (const scenario of scenarios) {
  if (seen.has(scenario.id)) throw new Error(`two scenarios share the id ${scenario.id}`);
  if (scenario.turns.length < 1 || scenario.turns.length > 3) throw new Error(`${scenario.id}: a conversation has one to three turns`);
  seen.add(scenario.id);
}
