import { tool } from "ai";
import { z } from "zod";
import { requestInviteResend } from "../lib/record/resend";
import { NO_INPUT, type ToolSession } from "./session";

export const resendInviteOutput = z.discriminatedUnion("result", [
  z.object({ result: z.literal("queued"), groups: z.number().int() }),
  z.object({ result: z.literal("already_queued"), reason: z.string() }),
  z.object({ result: z.literal("already_active") }),
  z.object({ result: z.literal("not_eligible"), reason: z.string() }),
]);
export type ResendInviteOutput = z.infer<typeof resendInviteOutput>;

export function createResendInviteTool(session: ToolSession) {
  return tool({
    description:
      "Send the signed-in customer's community invitation again. Only for a paid membership whose access is pending, invited or failed; at most once per 15 minutes.",
    inputSchema: NO_INPUT,
    outputSchema: resendInviteOutput,
    execute: async () => resendInviteOutput.parse(await requestInviteResend(session.db, session.identity, session.now?.() ?? new Date())),
  });
}
