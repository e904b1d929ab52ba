import { tool, zodSchema } from "ai";
import { z } from "zod";
import { findCustomerId } from "../lib/record/read";
import { ticketReference } from "../lib/record/entitlement-view";
import { openOrReuseTicket, TICKET_CATEGORIES } from "../lib/support/tickets";
import type { ToolSession } from "./session";

export const openBillingTicketInput = z
  .object({
    category: z.enum(TICKET_CATEGORIES).describe("What the customer needs a person for"),
    summary: z.string().trim().min(3).max(500).describe("One or two sentences in the customer's words, no card numbers or passwords"),
  })
  .strict();

// Wrapped once, as NO_INPUT is (./session).
const inputSchema = zodSchema(openBillingTicketInput);

export const openBillingTicketOutput = z.object({
  reference: z.string(),
  status: z.enum(["open", "pending", "resolved"]),
  created: z.boolean(),
  reopened: z.boolean(),
});
export type OpenBillingTicketOutput = z.infer<typeof openBillingTicketOutput>;

/** Opens, or adds to, the ticket for the customer's current journey and this category. */
export function createOpenBillingTicketTool(session: ToolSession) {
  return tool({
    description:
      "Hand the conversation to a person: opens a support ticket for the signed-in customer, or adds a note to the one already open for the same issue.",
    inputSchema,
    outputSchema: openBillingTicketOutput,
    execute: async ({ category, summary }) => {
      const customerId = await findCustomerId(session.db, session.identity);
      const outcome = await openOrReuseTicket(session.db, {
        customerId,
        identity: session.identity,
        category,
        summary,
        source: "chat",
        conversationId: session.conversationId ?? null,
      });
      return openBillingTicketOutput.parse({
        reference: ticketReference(outcome.ticketId),
        status: outcome.status,
        created: outcome.created,
        reopened: outcome.reopened,
      });
    },
  });
}
