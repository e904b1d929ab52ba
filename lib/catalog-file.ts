import fs from "node:fs";
import path from "node:path";
import { parseCatalog, type PlanCatalog } from "./lifecycle/catalog";

// Reads the plan catalog file (PLAN_CATALOG, or the one shipped beside the lifecycle) and
// validates it: the lifecycle stays pure, so the file is read here.

export const defaultCatalogPath = () => path.join(process.cwd(), "lib", "lifecycle", "plan-catalog.json");

export function loadCatalog(file = defaultCatalogPath()): PlanCatalog {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(/*turbopackIgnore: true*/ file, "utf8"));
  } catch (error) {
    throw new Error(`Cannot read plan catalog ${file}: ${(error as Error).message}`);
  }
  return parseCatalog(json, `plan catalog ${file}`);
}
