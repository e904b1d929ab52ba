// Pure procedure checks, tau2-style: besides what the bot says and where the record ends, HOW it
// got there counts. A state-changing tool (one that queues a side effect or writes a ticket) may
// run only when the customer asked for that action, and at most once per ask.
//
// Where the "asked for" side comes from:
// - a turn that declares `asks` (the Turn field in ./scenario): every call of a state-changing tool
//   that ran in that turn counts, whatever it returned;
// - turns that declare nothing: the scenario's expected end state is the only statement of what the
//   customer asked for, so their calls are pooled over the conversation and only the calls that
//   changed something count (a queued resend, a ticket opened or noted), against the allowance the
//   end state implies (jobs the conversation enqueues, tickets the chat opens and notes it adds).

export const STATE_CHANGING_TOOLS = ["resendInvite", "openBillingTicket"] as const;
export type StateChangingTool = (typeof STATE_CHANGING_TOOLS)[number];

export function isStateChanging(tool: string): tool is StateChangingTool {
  return (STATE_CHANGING_TOOLS as readonly string[]).includes(tool);
}

/** One tool call as the harness recorded it from the chat's stream. */
export interface ProcedureCall {
  tool: string;
  output?: unknown;
  error?: string;
  /** The input was refused before the tool ran (invalid arguments): nothing happened. */
  rejected?: boolean;
}

export interface ProcedureTurn {
  calls: ProcedureCall[];
  /** The state-changing actions the customer asked for in this turn (one entry per ask), if the scenario says. */
  asks?: readonly StateChangingTool[];
}

/** How many effective calls of each action the undeclared turns may make together. */
export type Allowance = Record<StateChangingTool, number>;

/** The allowance an expected end state implies: resends that queued a grant, tickets the chat opened, notes added to them. */
export function allowanceFromEndState(expected: {
  conversationJobs: Record<string, number>;
  tickets: Array<{ source: string; notes: number }>;
}): Allowance {
  const chatTickets = expected.tickets.filter((ticket) => ticket.source === "chat");
  return {
    resendInvite: expected.conversationJobs["circle.grant"] ?? 0,
    openBillingTicket: chatTickets.length + chatTickets.reduce((sum, ticket) => sum + ticket.notes, 0),
  };
}

/** The call ran (its input was accepted). */
const ran = (call: ProcedureCall) => !call.rejected;

/** The call ran and changed something: a resend that was queued, or a ticket opened or noted. */
export function changedState(call: ProcedureCall): boolean {
  if (!ran(call) || call.error !== undefined || !isStateChanging(call.tool)) return false;
  if (call.tool === "resendInvite") return (call.output as { result?: unknown } | undefined)?.result === "queued";
  return call.output !== undefined;
}

const times = (n: number) => (n === 1 ? "once" : `${n} times`);

/** Every procedure violation of a conversation, in words; empty when it followed procedure. */
export function checkProcedure(turns: ProcedureTurn[], undeclared: Allowance): string[] {
  const violations: string[] = [];
  const pooled: Allowance = { resendInvite: 0, openBillingTicket: 0 };
  for (const [index, turn] of turns.entries()) {
    if (turn.asks === undefined) {
      for (const call of turn.calls) if (changedState(call) && isStateChanging(call.tool)) pooled[call.tool] += 1;
      continue;
    }
    for (const tool of STATE_CHANGING_TOOLS) {
      const calls = turn.calls.filter((call) => call.tool === tool && ran(call)).length;
      const asked = turn.asks.filter((ask) => ask === tool).length;
      if (calls === 0 || calls <= asked) continue;
      violations.push(
        asked === 0
          ? `procedure, turn ${index + 1}: called ${tool}, which the customer did not ask for`
          : `procedure, turn ${index + 1}: called ${tool} ${times(calls)} for ${asked === 1 ? "one ask" : `${asked} asks`}`,
      );
    }
  }
  for (const tool of STATE_CHANGING_TOOLS) {
    if (pooled[tool] > undeclared[tool]) {
      violations.push(
        undeclared[tool] === 0
          ? `procedure: ${tool} changed state ${times(pooled[tool])}, though the customer never asked for it`
          : `procedure: ${tool} changed state ${times(pooled[tool])}, for ${undeclared[tool]} ${undeclared[tool] === 1 ? "ask" : "asks"}`,
      );
    }
  }
  return violations;
}
