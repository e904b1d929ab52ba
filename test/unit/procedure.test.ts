import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allowanceFromEndState,
  changedState,
  checkProcedure,
  STATE_CHANGING_TOOLS,
  type Allowance,
  type ProcedureCall,
  type ProcedureTurn,
} from "../../evals/procedure";

const read: ProcedureCall = { tool: "getEntitlement", output: { found: true } };
const resendQueued: ProcedureCall = { tool: "resendInvite", output: { result: "queued", groups: 1 } };
const resendNotEligible: ProcedureCall = { tool: "resendInvite", output: { result: "not_eligible", reason: "refunded" } };
const resendRejected: ProcedureCall = { tool: "resendInvite", error: "Invalid input for resendInvite: it takes no arguments", rejected: true };
const ticket: ProcedureCall = { tool: "openBillingTicket", output: { reference: "T-0000ABCD", status: "open", created: true, reopened: false } };
const ticketRejected: ProcedureCall = { tool: "openBillingTicket", error: "Invalid input for openBillingTicket: category must be one of …", rejected: true };
const ticketFailed: ProcedureCall = { tool: "openBillingTicket", error: "openBillingTicket failed on our side" };
const none: Allowance = { resendInvite: 0, openBillingTicket: 0 };

describe("checkProcedure, turns that declare what the customer asked for", () => {
  const cases: Array<{ name: string; turns: ProcedureTurn[]; violations: RegExp[] }> = [
    { name: "only reads", turns: [{ calls: [read], asks: [] }], violations: [] },
    { name: "the resend that was asked for", turns: [{ calls: [read, resendQueued], asks: ["resendInvite"] }], violations: [] },
    {
      name: "a resend when the customer asked about a payment",
      turns: [{ calls: [read, resendQueued], asks: [] }],
      violations: [/turn 1: called resendInvite, which the customer did not ask for/],
    },
    {
      // Declared turns count the call itself, not its outcome: trying counts.
      name: "an unasked resend that turned out not eligible",
      turns: [{ calls: [resendNotEligible], asks: [] }],
      violations: [/turn 1: called resendInvite, which the customer did not ask for/],
    },
    { name: "a call refused for its input never ran", turns: [{ calls: [resendRejected], asks: [] }], violations: [] },
    { name: "a retry after refused input is still one call", turns: [{ calls: [ticketRejected, ticket], asks: ["openBillingTicket"] }], violations: [] },
    {
      name: "two tickets for one ask",
      turns: [{ calls: [ticket, ticket], asks: ["openBillingTicket"] }],
      violations: [/turn 1: called openBillingTicket 2 times for one ask/],
    },
    { name: "two asks, two calls", turns: [{ calls: [resendQueued, ticket], asks: ["resendInvite", "openBillingTicket"] }], violations: [] },
    {
      name: "the violation names its turn",
      turns: [
        { calls: [ticket], asks: ["openBillingTicket"] },
        { calls: [ticket], asks: [] },
      ],
      violations: [/turn 2: called openBillingTicket, which the customer did not ask for/],
    },
    {
      // A failed call ran: the tool may have written before it failed.
      name: "a call that failed at run time counts",
      turns: [{ calls: [ticketFailed], asks: [] }],
      violations: [/turn 1: called openBillingTicket/],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const violations = checkProcedure(testCase.turns, none);
      expect(violations).toHaveLength(testCase.violations.length);
      testCase.violations.forEach((pattern, index) => expect(violations[index]).toMatch(pattern));
    });
  }
});

describe("checkProcedure, turns judged from the expected end state", () => {
  const cases: Array<{ name: string; turns: ProcedureTurn[]; allowance: Allowance; violations: RegExp[] }> = [
    { name: "nothing asked, nothing done", turns: [{ calls: [read] }], allowance: none, violations: [] },
    {
      name: "a resend that queued a grant nobody asked for",
      turns: [{ calls: [read, resendQueued] }],
      allowance: none,
      violations: [/resendInvite changed state once, though the customer never asked for it/],
    },
    { name: "a resend that changed nothing", turns: [{ calls: [resendNotEligible] }], allowance: none, violations: [] },
    { name: "the expected resend", turns: [{ calls: [resendQueued] }], allowance: { resendInvite: 1, openBillingTicket: 0 }, violations: [] },
    {
      name: "an expected ticket and its repeat note, over two turns",
      turns: [{ calls: [ticket] }, { calls: [read, ticket] }],
      allowance: { resendInvite: 0, openBillingTicket: 2 },
      violations: [],
    },
    {
      name: "one ticket too many",
      turns: [{ calls: [ticket, ticket] }],
      allowance: { resendInvite: 0, openBillingTicket: 1 },
      violations: [/openBillingTicket changed state 2 times, for 1 ask/],
    },
    {
      // A declared turn does not draw on the undeclared allowance.
      name: "declared and undeclared turns are judged apart",
      turns: [{ calls: [ticket], asks: ["openBillingTicket"] }, { calls: [ticket] }],
      allowance: none,
      violations: [/openBillingTicket changed state once, though the customer never asked for it/],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const violations = checkProcedure(testCase.turns, testCase.allowance);
      expect(violations).toHaveLength(testCase.violations.length);
      testCase.violations.forEach((pattern, index) => expect(violations[index]).toMatch(pattern));
    });
  }
});

describe("allowanceFromEndState", () => {
  it("counts queued grants, the chat's tickets and their notes, not the system's", () => {
    expect(
      allowanceFromEndState({
        conversationJobs: { "circle.grant": 1, "kit.tag": 3 },
        tickets: [
          { source: "chat", notes: 1 },
          { source: "system", notes: 4 },
          { source: "chat", notes: 0 },
        ],
      }),
    ).toEqual({ resendInvite: 1, openBillingTicket: 3 });
    expect(allowanceFromEndState({ conversationJobs: {}, tickets: [] })).toEqual(none);
  });
});

describe("properties", () => {
  const call = fc.constantFrom(read, resendQueued, resendNotEligible, resendRejected, ticket, ticketRejected, ticketFailed);
  const turn = fc.record({ calls: fc.array(call, { maxLength: 4 }), asks: fc.option(fc.subarray([...STATE_CHANGING_TOOLS, ...STATE_CHANGING_TOOLS]), { nil: undefined }) });
  const allowance = fc.record({ resendInvite: fc.nat(3), openBillingTicket: fc.nat(3) });

  it("reads alone never violate procedure", () => {
    fc.assert(fc.property(fc.array(fc.record({ calls: fc.array(fc.constant(read)) })), allowance, (turns, limit) => checkProcedure(turns, limit).length === 0));
  });

  it("asking for more never adds a violation", () => {
    fc.assert(
      fc.property(fc.array(turn, { maxLength: 3 }), allowance, (turns, limit) => {
        const generous = turns.map((t) => ({ ...t, asks: t.asks === undefined ? undefined : [...t.asks, ...STATE_CHANGING_TOOLS, ...STATE_CHANGING_TOOLS, ...STATE_CHANGING_TOOLS, ...STATE_CHANGING_TOOLS] }));
        const more = { resendInvite: limit.resendInvite + 4, openBillingTicket: limit.openBillingTicket + 4 };
        return checkProcedure(generous, more).length <= checkProcedure(turns, limit).length && checkProcedure(generous, more).length === 0;
      }),
    );
  });

  it("an extra effective state-changing call in an undeclared turn is caught once the allowance is used up", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ calls: fc.array(call, { maxLength: 4 }) }), { maxLength: 3 }), (turns) => {
        const used: Allowance = { resendInvite: 0, openBillingTicket: 0 };
        for (const t of turns) for (const c of t.calls) if (changedState(c) && (c.tool === "resendInvite" || c.tool === "openBillingTicket")) used[c.tool] += 1;
        if (checkProcedure(turns, used).length !== 0) return false;
        return checkProcedure([...turns, { calls: [resendQueued] }], used).some((v) => v.includes("resendInvite"));
      }),
    );
  });
});
