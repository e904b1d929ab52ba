import { createGetEntitlementTool } from "./getEntitlement";
import { createOpenBillingTicketTool, openBillingTicketInput } from "./openBillingTicket";
import { createResendInviteTool } from "./resendInvite";
import { noInput, type ToolSession } from "./session";

/** The chat's tools, built per request and bound to the verified customer of that request. */
export function createTools(session: ToolSession) {
  return {
    getEntitlement: createGetEntitlementTool(session),
    resendInvite: createResendInviteTool(session),
    openBillingTicket: createOpenBillingTicketTool(session),
  };
}

export type ChatTools = ReturnType<typeof createTools>;

/** Each tool's input schema, for the plain messages that answer a call with invalid input. */
export const TOOL_INPUTS = { getEntitlement: noInput, resendInvite: noInput, openBillingTicket: openBillingTicketInput };
export { plainToolErrors, type StepToolCall } from "./input-errors";
export type { ToolSession } from "./session";
