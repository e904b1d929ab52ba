import type { CircleClient } from "../integrations/circle";
import { IntegrationError } from "../integrations/errors";
import type { KitClient } from "../integrations/kit";
import type { PlanCatalog } from "../lifecycle/catalog";
import { errorMessage, fail, pass, skip, type CheckResult } from "./types";

// Circle and Kit: the credential answers, and everything the plan catalog names exists.

/** An address no community member has: the search proves the token without touching anyone. */
const PROBE_EMAIL = "launch-doctor@example.invalid";

const isUnauthorized = (error: unknown) => error instanceof IntegrationError && (error.status === 401 || error.status === 403);

export function catalogAccessGroupIds(catalog: PlanCatalog): number[] {
  return [...new Set(catalog.plans.flatMap((plan) => plan.circleAccessGroupIds))].sort((a, b) => a - b);
}

export function catalogKitTagIds(catalog: PlanCatalog): number[] {
  const ids = [...catalog.promotionalTagIds, ...catalog.plans.flatMap((plan) => Object.values(plan.kitTagIds).flat())];
  return [...new Set(ids)].sort((a, b) => a - b);
}

export async function checkCircle(circle: CircleClient | null, catalog: PlanCatalog | null): Promise<CheckResult> {
  const id = "circle";
  const title = "Circle token valid and every catalog access group exists";
  if (!circle) return skip(id, title, "CIRCLE_API_TOKEN is not set (see the environment)");
  try {
    await circle.findMemberByEmail(PROBE_EMAIL);
  } catch (error) {
    if (isUnauthorized(error)) {
      return fail(id, title, `Circle refused the token: ${errorMessage(error)}`, "CIRCLE_API_TOKEN is wrong or revoked: create an Admin API v2 token in Circle (Settings → Developers → Tokens) and set it");
    }
    return fail(id, title, `Circle could not be reached: ${errorMessage(error)}`, "check CIRCLE_API_URL and the network from here to Circle, then run the doctor again");
  }
  if (!catalog) return skip(id, title, "the token works; the plan catalog did not load (see the plan catalog)");
  const groups = catalogAccessGroupIds(catalog);
  const missing: number[] = [];
  try {
    for (const group of groups) if (!(await circle.accessGroupExists(group))) missing.push(group);
  } catch (error) {
    return fail(id, title, `Circle failed while reading access groups: ${errorMessage(error)}`, "run the doctor again; if it persists, check the token's permissions in Circle");
  }
  if (missing.length > 0) {
    const list = missing.join(", ");
    return fail(
      id,
      title,
      `access group${missing.length === 1 ? "" : "s"} ${list} named in the plan catalog ${missing.length === 1 ? "does" : "do"} not exist in Circle`,
      `create the access group${missing.length === 1 ? "" : "s"} in Circle (Audience → Access groups), or correct the ids in the plan catalog (circleAccessGroupIds): ${list}`,
      missing.map((group) => ({ name: `access group ${group}`, problem: "not found in Circle", fix: "create it in Circle or fix its id in the plan catalog" })),
    );
  }
  return pass(id, title, `the token works; all ${groups.length} access group${groups.length === 1 ? "" : "s"} exist`);
}

export async function checkKit(kit: KitClient | null, catalog: PlanCatalog | null): Promise<CheckResult> {
  const id = "kit";
  const title = "Kit API key valid and every catalog tag exists";
  if (!kit) return skip(id, title, "KIT_API_KEY is not set (see the environment)");
  let existing: Set<number>;
  try {
    existing = new Set((await kit.listTags()).map((tag) => tag.id));
  } catch (error) {
    if (isUnauthorized(error)) {
      return fail(id, title, `Kit refused the key: ${errorMessage(error)}`, "KIT_API_KEY is wrong or revoked: create a v4 API key in Kit (Settings → Developer → API keys) and set it");
    }
    return fail(id, title, `Kit could not be reached: ${errorMessage(error)}`, "check KIT_API_URL and the network from here to Kit, then run the doctor again");
  }
  if (!catalog) return skip(id, title, "the key works; the plan catalog did not load (see the plan catalog)");
  const tags = catalogKitTagIds(catalog);
  const missing = tags.filter((tag) => !existing.has(tag));
  if (missing.length > 0) {
    const list = missing.join(", ");
    return fail(
      id,
      title,
      `tag${missing.length === 1 ? "" : "s"} ${list} named in the plan catalog ${missing.length === 1 ? "does" : "do"} not exist in Kit`,
      `create the tag${missing.length === 1 ? "" : "s"} in Kit (Grow → Subscribers → Create a tag) and put their ids in the plan catalog (kitTagIds, promotionalTagIds), or correct the ids: ${list}`,
      missing.map((tag) => ({ name: `tag ${tag}`, problem: "not found in Kit", fix: "create it in Kit or fix its id in the plan catalog" })),
    );
  }
  return pass(id, title, `the key works; all ${tags.length} tag${tags.length === 1 ? "" : "s"} exist`);
}
