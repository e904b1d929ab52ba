import { zodSchema } from "ai";
import { z } from "zod";
import type { Database } from "../lib/db";
import type { PlanCatalog } from "../lib/lifecycle/catalog";

// What every tool is built with: the verified identity of this chat session (never a value
// the model chose) and the services it reads through.
export interface ToolSession {
  /** The identity token's subject: the customer's email (normalized) or record id. */
  identity: string;
  db: Database;
  catalog: PlanCatalog;
  /** The chat conversation of this request, where a person's replies to a ticket it opens reach the customer. */
  conversationId?: string;
  now?: () => Date;
}

export function catalogNames(catalog: PlanCatalog) {
  const planNames = new Map(catalog.plans.map((plan) => [plan.key, plan.name]));
  const groupNames = new Map<number, string>();
  for (const plan of catalog.plans) {
    for (const id of plan.circleAccessGroupIds) groupNames.set(id, groupNames.get(id) ?? `${plan.name} space`);
  }
  return { planNames, groupNames };
}

/**
 * The input of a tool that takes no arguments. Tool input schemas are wrapped once at module
 * level so the JSON schema sent to the model is built once per process, not at every model step.
 */
export const noInput = z.object({}).strict();
export const NO_INPUT = zodSchema(noInput);
