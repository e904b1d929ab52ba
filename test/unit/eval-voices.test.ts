import { describe, expect, it } from "vitest";
import { LANGUAGES, type Language } from "../../lib/chat/language";
import { INTENTS } from "../../lib/chat/nlu/labels";
import { FACT } from "../../evals/facts";
import { scenarios } from "../../evals/scenarios";
import { voiceScenarios } from "../../evals/scenarios/voices";
import { EVAL_UTTERANCES, STYLES, type EvalUtterance } from "../../evals/utterances";

// The eval suite speaks with customers' own voices: the held-out sentences of evals/utterances
// (never trained on: nlu-overlap.test.ts) as scenario turns, at least ten per intent in each of
// the five languages, in every style, and no customer turn of these scenarios made up.

const MIN_PER_INTENT = 10;

/** A scenario's language is the first part of its id; its sentences must be that language's. */
const languageOf = (id: string) => id.split("--")[0] as Language;
const voiceTurns = voiceScenarios.flatMap((scenario) =>
  scenario.turns.map((turn) => ({ scenario, turn, language: languageOf(scenario.id), sentence: EVAL_UTTERANCES[languageOf(scenario.id)]?.find((candidate) => candidate.text === turn.say) })),
);
const labeledTurns = () => voiceTurns.filter((entry): entry is typeof entry & { sentence: EvalUtterance } => entry.sentence !== undefined);

describe("the voices scenarios", () => {
  it("are part of the suite, which keeps at least 150 scenarios besides them", () => {
    const ids = new Set(scenarios.map((scenario) => scenario.id));
    for (const scenario of voiceScenarios) expect(ids.has(scenario.id), scenario.id).toBe(true);
    expect(scenarios.length - voiceScenarios.length).toBeGreaterThanOrEqual(150);
  });

  it("say only sentences of evals/utterances, each in a scenario of its own language", () => {
    for (const { scenario } of voiceTurns) expect(LANGUAGES, scenario.id).toContain(languageOf(scenario.id));
    const madeUp = voiceTurns.filter(({ sentence }) => sentence === undefined).map(({ scenario, turn }) => `${scenario.id}: ${turn.say}`);
    expect(madeUp).toEqual([]);
  });

  it(`put at least ${MIN_PER_INTENT} sentences of every intent in every language in customers' mouths (two-intent sentences count for both)`, () => {
    const sentencesBy = new Map<string, Set<string>>();
    for (const { language, sentence } of labeledTurns()) {
      for (const intent of sentence.intents) {
        const key = `${language}/${intent}`;
        sentencesBy.set(key, (sentencesBy.get(key) ?? new Set()).add(sentence.text));
      }
    }
    const short = LANGUAGES.flatMap((language) =>
      INTENTS.map((intent) => ({ key: `${language}/${intent}`, count: sentencesBy.get(`${language}/${intent}`)?.size ?? 0 })).filter(({ count }) => count < MIN_PER_INTENT),
    );
    expect(short).toEqual([]);
  });

  it("use every style in every language", () => {
    for (const language of LANGUAGES) {
      const used = new Set(labeledTurns().filter((entry) => entry.language === language).map((entry) => entry.sentence.style));
      expect([...used].sort(), language).toEqual([...STYLES].sort());
    }
  });

  it("have readable ids (language--intent--index) and one to three turns that each declare what they ask to be done", () => {
    for (const scenario of voiceScenarios) {
      expect(scenario.id).toMatch(/^(en|es|fr|de|pt)--[a-zA-Z]+(-and-[a-zA-Z]+)?--\d+$/);
      expect(scenario.turns.length).toBeGreaterThanOrEqual(1);
      expect(scenario.turns.length).toBeLessThanOrEqual(3);
      for (const turn of scenario.turns) expect(turn.asks, `${scenario.id}: ${turn.say}`).toBeDefined();
    }
  });

  it("expect a state change only where a turn asks for it: tickets opened or noted, resends queued", () => {
    for (const scenario of voiceScenarios) {
      const asks = scenario.turns.flatMap((turn) => turn.asks ?? []);
      const chatTickets = scenario.expect.tickets.filter((ticket) => ticket.source === "chat");
      const history = scenario.history.filter((step) => step.kind === "ticket").length;
      const ticketAsks = chatTickets.length - history + chatTickets.reduce((sum, ticket) => sum + ticket.notes, 0);
      expect(ticketAsks, scenario.id).toBe(asks.filter((ask) => ask === "openBillingTicket").length);
      expect(scenario.expect.conversationJobs["circle.grant"] ?? 0, scenario.id).toBeLessThanOrEqual(asks.filter((ask) => ask === "resendInvite").length);
    }
  });
});

describe("the courtesy fact", () => {
  it.each([
    ["You're welcome! Anything else I can check?"],
    ["¡De nada! Aquí estoy si necesitas algo más."],
    ["Je vous en prie, bonne journée !"],
    ["Gern geschehen! Melde dich, wenn du noch etwas brauchst."],
    ["Por nada! Qualquer coisa, é só chamar."],
    ["Hola, ¿en qué te puedo ayudar?"],
  ])("is stated by a greeting or a you're-welcome: %s", (reply) => {
    expect(FACT.courtesy.test(reply)).toBe(true);
  });

  it.each([["Your latest payment went through."], ["Tu pago no se ha procesado."], ["Votre accès a pris fin."], ["Dein Abo ist aktiv."], ["Sua assinatura está ativa."]])(
    "is not stated by a reply with neither: %s",
    (reply) => {
      expect(FACT.courtesy.test(reply)).toBe(false);
    },
  );
});
