import { z } from "zod";
import { DRIFT_KINDS, type Drift, type DriftKind } from "./classify";

// What the reconciler does about each kind of drift: `repair` (bring the provider back to what
// the record decides, through the outbox; Stripe drift by reading the object from Stripe and
// applying it as its webhook would have been), `ticket` (one access or billing ticket per
// customer journey, for a person to decide) or `report` (counted and listed, nothing else).
// Configured with RECONCILE_POLICY, a JSON object of kind -> action, over these defaults.

export const DRIFT_ACTIONS = ["repair", "ticket", "report"] as const;
export type DriftAction = (typeof DRIFT_ACTIONS)[number];
export type DriftPolicy = Record<DriftKind, DriftAction>;

/**
 * The defaults repair only what the record itself decides and a person cannot have meant
 * otherwise; a member in a group without paying may be a founder's comp made by hand in Circle,
 * so a person decides; a member we cannot match to a customer (staff, guests) is reported.
 */
export const DEFAULT_POLICY: DriftPolicy = {
  paid_no_access: "repair",
  access_not_paid: "ticket",
  invitation_accepted: "repair",
  unknown_member: "report",
  tag_missing: "repair",
  tag_extra: "report",
  subscription_no_entitlement: "repair",
  entitlement_no_subscription: "repair",
};

/** The ticket category a kind's ticket goes to. */
export const TICKET_CATEGORY: Record<DriftKind, "access" | "billing"> = {
  paid_no_access: "access",
  access_not_paid: "access",
  invitation_accepted: "access",
  unknown_member: "access",
  tag_missing: "access",
  tag_extra: "access",
  subscription_no_entitlement: "billing",
  entitlement_no_subscription: "billing",
};

const policyOverrides = z.partialRecord(z.enum(DRIFT_KINDS), z.enum(DRIFT_ACTIONS));

/** Parses RECONCILE_POLICY (JSON text or undefined) over the defaults; throws a readable error. */
export function parsePolicy(text: string | undefined): DriftPolicy {
  if (text === undefined || text.trim() === "") return { ...DEFAULT_POLICY };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("RECONCILE_POLICY is not JSON: expected an object such as {\"tag_extra\":\"repair\"}");
  }
  const parsed = policyOverrides.safeParse(json);
  if (!parsed.success) {
    throw new Error(`RECONCILE_POLICY: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ")}`);
  }
  return { ...DEFAULT_POLICY, ...parsed.data };
}

/**
 * The action for one drift. A ticket or a repair needs a customer of ours: drift about someone
 * unknown can only be reported.
 */
export function actionFor(policy: DriftPolicy, drift: Drift): DriftAction {
  const action = policy[drift.kind];
  if (drift.customerId === null && action === "ticket") return "report";
  if (drift.customerId === null && action === "repair" && drift.kind !== "subscription_no_entitlement") return "report";
  return action;
}
