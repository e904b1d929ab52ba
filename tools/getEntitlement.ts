import { tool } from "ai";
import { z } from "zod";
import { readEntitlementView } from "../lib/record/entitlement-view";
import { catalogNames, NO_INPUT, type ToolSession } from "./session";

const openTickets = z.array(z.object({ reference: z.string(), category: z.string(), status: z.string(), openedAt: z.string() }));

export const getEntitlementOutput = z.discriminatedUnion("found", [
  // No record under the signed-in identity: only the tickets it opened itself.
  z.object({ found: z.literal(false), asOf: z.string(), openTickets }),
  z.object({
    found: z.literal(true),
    asOf: z.string(),
    entitlements: z.array(
      z.object({ plan: z.string(), planName: z.string(), status: z.string(), accessUntil: z.string().nullable(), cancelAtPeriodEnd: z.boolean() }),
    ),
    access: z.array(z.object({ group: z.string(), state: z.string(), since: z.string(), problem: z.string().nullable() })),
    latestPayment: z.object({ status: z.string(), at: z.string() }).nullable(),
    pendingWork: z.array(z.object({ what: z.string(), state: z.enum(["queued", "retrying", "running"]), ageSeconds: z.number() })),
    openTickets,
  }),
]);
export type GetEntitlementOutput = z.infer<typeof getEntitlementOutput>;

/** Reads the verified customer's record now: it takes no arguments, so no one else's can be asked for. */
export function createGetEntitlementTool(session: ToolSession) {
  const { planNames, groupNames } = catalogNames(session.catalog);
  return tool({
    description:
      "Look up the signed-in customer's membership right now: plan, status, community access per group, latest payment, work still in progress, open tickets.",
    inputSchema: NO_INPUT,
    outputSchema: getEntitlementOutput,
    execute: async () =>
      getEntitlementOutput.parse(await readEntitlementView(session.db, session.identity, planNames, groupNames, session.now?.() ?? new Date())),
  });
}
