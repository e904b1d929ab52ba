import { createOpenAI } from "@ai-sdk/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTrial } from "../../evals/harness";
import { CLAIM, FACT } from "../../evals/facts";
import { scenarios } from "../../evals/scenarios";
import { compareEndState, passHatK, scoreReply, taskPassHatK } from "../../evals/score";
import type { EndState } from "../../evals/scenario";
import { contextFromView } from "../../evals/scorer/context";
import type { GetEntitlementOutput } from "../../tools/getEntitlement";
import { createOfflineModel } from "../../lib/chat/offline-model";
import { createScriptedOpenAI, type ScriptedOpenAI } from "../fakes/openai";

// The eval can fail: a wrong answer and a wrong end state, each produced by a real (scripted,
// OpenAI-compatible over HTTP) model run through the real harness, are scored as failures,
// while the offline model passes the same scenarios.

const scenario = (id: string) => {
  const found = scenarios.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
};

let openai: ScriptedOpenAI;
beforeAll(async () => {
  openai = await createScriptedOpenAI({ apiKey: "sk-eval-test" });
});
afterAll(async () => {
  await openai.stop();
});
const scriptedModel = () => createOpenAI({ apiKey: "sk-eval-test", baseURL: openai.url }).chat("scripted");

describe("the eval scorer", () => {
  it("fails a reply that claims access while the record says pending", async () => {
    openai.script([{ toolCalls: [{ name: "getEntitlement", arguments: {} }] }, { text: "Good news: you have access to the community now, just log in!" }]);
    const result = await runTrial(scenario("active-pending--access"), 1, { model: scriptedModel() });
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual(
      expect.arrayContaining([expect.stringMatching(/claims: the customer has access/), expect.stringMatching(/does not state: the invite is still on its way/)]),
    );
    // The record was right; only the answer was wrong.
    expect(result.failures.filter((failure) => failure.startsWith("end state"))).toEqual([]);
  });

  it("fails two tickets in one journey where one was expected", async () => {
    openai.script([
      { toolCalls: [{ name: "openBillingTicket", arguments: { category: "other", summary: "Customer wants a person" } }] },
      { text: "I've passed this to our team." },
      // The second ask opens another ticket under another category instead of reusing the first.
      { toolCalls: [{ name: "openBillingTicket", arguments: { category: "billing", summary: "Customer asked again" } }] },
      { text: "Done, a colleague will be in touch." },
    ]);
    const result = await runTrial(scenario("field--human-asked-twice"), 1, { model: scriptedModel() });
    expect(result.passed).toBe(false);
    expect(result.actual?.tickets).toHaveLength(2);
    expect(new Set(result.actual?.tickets.map((ticket) => ticket.journey))).toEqual(new Set(["purchase"]));
    expect(result.failures).toEqual(expect.arrayContaining([expect.stringMatching(/^end state tickets: expected .*got/)]));
  });

  it("passes the same scenarios with the offline model", async () => {
    const model = createOfflineModel();
    for (const id of ["active-pending--access", "field--human-asked-twice"]) {
      const result = await runTrial(scenario(id), 1, { model });
      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(true);
    }
  });

  it.each([
    ["You have access to the Community space.", [CLAIM.hasAccess], [], 1],
    ["Your payment went through; your invite is queued.", [CLAIM.hasAccess], [FACT.paymentWentThrough, FACT.invitePending], 0],
    ["Your invite is queued.", [], [FACT.paymentWentThrough], 1],
    ["Your customer id is cus_Q1w2E3r4T5.", [], [], 1],
    ["", [], [], 1],
    // Paraphrased, in another language, or negated: scored by meaning, not by the templates' words.
    ["We received your payment. You don't have access yet: the invitation is on its way.", [CLAIM.hasAccess], [FACT.paymentWentThrough, FACT.invitePending], 0],
    ["Tu pago no se realizó.", [CLAIM.paymentOk], [FACT.paymentWentThrough], 1],
    ["Votre paiement a bien été reçu ; l'invitation est en route.", [CLAIM.hasAccess], [FACT.paymentWentThrough, FACT.invitePending], 0],
    ["Ich kann keine Rückerstattungen veranlassen; das entscheidet unser Team.", [CLAIM.refundPromised], [FACT.cannotRefund], 0],
    ["Vou reembolsar você hoje mesmo.", [CLAIM.refundPromised], [], 1],
  ] as const)("scores a reply: %j", (reply, mustNot, must, failures) => {
    expect(scoreReply(reply, { must: [...must], mustNot: [...mustNot] })).toHaveLength(failures);
  });

  it("scores the offline model's dated answers against the record's own dates", async () => {
    const model = createOfflineModel();
    for (const id of ["canceled-until-period-end--access", "past-due-grace--billing", "field--cancel-when-already-canceled"]) {
      const found = scenario(id);
      const result = await runTrial(found, 1, { model });
      const turn = result.turns.at(-1)!;
      const view = turn.toolCalls.find((call) => call.tool === "getEntitlement")?.output as GetEntitlementOutput | undefined;
      expect(view?.found, id).toBe(true);
      // The view was read before this turn opened its ticket: the ticket's own output adds it.
      const opened = turn.toolCalls.flatMap((call) => (call.tool === "openBillingTicket" ? [(call.output as { reference: string }).reference] : []));
      const fromView = contextFromView(view!);
      const context = { ...fromView, ticketReferences: [...(fromView.ticketReferences ?? []), ...opened] };
      expect(context.accessUntil?.length, id).toBeGreaterThan(0);
      const expectations = found.turns.at(-1)!;
      expect(scoreReply(turn.reply, expectations, context), `${id}: ${turn.reply}`).toEqual([]);
      // The same reply judged against a record a week later fails on the date alone.
      const later = { ...context, accessUntil: context.accessUntil!.map((day) => new Date(Date.parse(day) + 7 * 86_400_000).toISOString()) };
      expect(scoreReply(turn.reply, expectations, later)).toEqual(["does not state: access continues until a date"]);
    }
  });

  it("checks a fact's date and ticket against the record when the context carries them", () => {
    const context = { accessUntil: ["2026-03-03T00:00:00.000Z"], ticketReferences: ["T-4F2A9C1B"] };
    expect(scoreReply("Canceled: you keep access until 3 March 2026 (ticket T-4F2A9C1B).", { must: [FACT.keepsAccessUntil, FACT.ticketReference] }, context)).toEqual([]);
    expect(scoreReply("Canceled: you keep access until 3 April 2026 (ticket T-00000000).", { must: [FACT.keepsAccessUntil, FACT.ticketReference] }, context)).toEqual([
      "does not state: access continues until a date",
      "does not state: the ticket reference",
    ]);
  });

  it("compares end states without regard to row order, and names what differs", () => {
    const base: EndState = {
      customers: 1,
      entitlements: [{ plan: "a", status: "active" }, { plan: "b", status: "expired" }],
      access: [{ plan: "a", state: "invited" }],
      tickets: [],
      circle: [{ plan: "a", email: "x@example.com" }],
      conversationJobs: { "circle.grant": 0 },
    };
    const reordered = { ...base, entitlements: [...base.entitlements].reverse(), conversationJobs: {} };
    expect(compareEndState(base, reordered)).toEqual([]);
    const ticket = { category: "other", status: "open", journey: "purchase", source: "chat" as const, notes: 0 };
    const failures = compareEndState({ ...base, tickets: [ticket] }, { ...base, tickets: [ticket, { ...ticket, category: "billing" }] });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^end state tickets/);
  });

  it("computes pass^k as the mean of C(c,k)/C(n,k)", () => {
    expect(taskPassHatK(3, 4, 2)).toBeCloseTo(0.5);
    expect(taskPassHatK(8, 8, 8)).toBe(1);
    expect(taskPassHatK(7, 8, 8)).toBe(0);
    expect(taskPassHatK(7, 8, 1)).toBeCloseTo(7 / 8);
    expect(passHatK([{ passes: 4, trials: 4 }, { passes: 2, trials: 4 }], 2)).toBeCloseTo((1 + 1 / 6) / 2);
    expect(() => taskPassHatK(1, 1, 2)).toThrow(RangeError);
  });
});
