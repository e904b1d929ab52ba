import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ngramFeatures, trainNgramModel } from "../../lib/chat/nlu/ngrams";
import { buildSpeller, familiarity } from "../../lib/chat/nlu/spelling";
import { clauseLength } from "../../lib/chat/nlu/understand";

describe("ngramFeatures", () => {
  it("is a vector of length 1 for any text with a letter, and empty without", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const features = ngramFeatures(text);
        const norm = Math.sqrt([...features.values()].reduce((sum, value) => sum + value * value, 0));
        if (/[\p{L}\p{N}]/u.test(text)) expect(norm).toBeCloseTo(1, 9);
        else expect(features.size).toBe(0);
      }),
    );
  });

  it("reads words case- and accent-free, with clitics apart and word edges marked", () => {
    const features = ngramFeatures("Renvoyez-moi l'Invitation");
    for (const feature of ["w:renvoyez", "w:moi", "w:invitation", "<inv", "ion>", "vitat"]) expect(features.has(feature), feature).toBe(true);
    expect([...ngramFeatures("Réenvíala")].map(([feature]) => feature)).toEqual([...ngramFeatures("reenviala")].map(([feature]) => feature));
  });

  it("shares most of a word's n-grams with its misspelling", () => {
    const right = ngramFeatures("invitation");
    const typo = ngramFeatures("invitaton");
    const shared = [...typo.keys()].filter((feature) => right.has(feature)).length;
    expect(shared / typo.size).toBeGreaterThan(0.5);
  });
});

const TOY = [
  ...["i want a refund", "refund me please", "give my money back", "money back now", "can i be refunded"].map((text) => ({ text, label: "refund" as const })),
  ...["cancel my plan", "stop my subscription", "end the membership", "please cancel it", "unsubscribe me"].map((text) => ({ text, label: "cancel" as const })),
];
const LABELS = ["refund", "cancel"] as const;

describe("trainNgramModel", () => {
  const model = trainNgramModel(TOY, LABELS);

  it("gives a probability per label that sums to 1", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const probabilities = model.predict(text);
        expect(probabilities).toHaveLength(LABELS.length);
        expect(probabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 9);
      }),
    );
  });

  it.each([
    ["refunnd pls", "refund"],
    ["cancellation of my subscriptions", "cancel"],
    ["unsubscribing", "cancel"],
  ])("reads the unseen spelling %s as %s", (text, label) => {
    const probabilities = model.predict(text);
    expect(LABELS[probabilities.indexOf(Math.max(...probabilities))]).toBe(label);
  });

  it("trains the same model from the same corpus", () => {
    expect(trainNgramModel(TOY, LABELS).predict("money please")).toEqual(model.predict("money please"));
  });
});

describe("clauseLength", () => {
  it.each([
    ["resend it", 2],
    ["renvoyez-moi l'invitation", 3],
    ["reenvíamela", 2],
    ["now", 1],
    ["no", 1],
    ["", 0],
  ] as const)("%s has %i", (clause, length) => {
    expect(clauseLength(clause)).toBe(length);
  });
});

describe("speller familiarity", () => {
  const speller = buildSpeller(["please resend the invitation", "where is my support ticket"]);

  it("counts words spelled right fully and close misspellings half", () => {
    expect(familiarity("resend invitation", speller, [])).toBe(1);
    expect(familiarity("resnd invitation", speller, [])).toBe(0.75);
    expect(familiarity("qwzx invitation", speller, [])).toBe(0.5);
  });

  it("gives no misspelling credit for a word another language uses as it is", () => {
    const french = buildSpeller(["mes chats attendent une invitation"]);
    const english = buildSpeller(["write about the cats"]);
    // "cats" is one edit from French "chats", but it is an English word as written.
    expect(familiarity("cats invitation", french, [])).toBe(0.75);
    expect(familiarity("cats invitation", french, [english])).toBe(0.5);
    expect(familiarity("cats invitation", english, [french])).toBe(0.5);
  });
});
