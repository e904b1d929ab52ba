import { createGetEntitlementTool } from "./getEntitlement";
import { createOpenBillingTicketTool } from "./openBillingTicket";
import { createResendInviteTool } from "./resendInvite";
import type { ToolSession } from "./session";

/** The chat's tools, built per request and bound to the verified customer of that request. */
export function createTools(session: ToolSession) {
  return {
    getEntitlement: createGetEntitlementTool(session),
    resendInvite: createResendInviteTool(session),
    openBillingTicket: createOpenBillingTicketTool(session),
  };
}

export type ChatTools = ReturnType<typeof createTools>;
export type { ToolSession } from "./session";
