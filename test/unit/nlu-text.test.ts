import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildSpeller, fold } from "../../lib/chat/nlu/spelling";
import { emailsIn, maskEmails, normalizeSentence, splitClauses } from "../../lib/chat/nlu/text";

describe("splitClauses", () => {
  it.each([
    ["resend it, and I think I was charged twice", "en", ["resend it", "I think I was charged twice"]],
    ["reenvíala y además revisa mi pago", "es", ["reenvíala", "revisa mi pago"]],
    ["renvoyez-la et aussi vérifiez mon paiement", "fr", ["renvoyez-la", "vérifiez mon paiement"]],
    ["schick sie nochmal und außerdem prüf meine Zahlung", "de", ["schick sie nochmal", "prüf meine Zahlung"]],
    ["reenvia o convite e também veja meu pagamento", "pt", ["reenvia o convite", "veja meu pagamento"]],
    ["I paid. Where is my invite?", "en", ["I paid", "Where is my invite"]],
  ] as const)("%s", (text, language, clauses) => {
    expect(splitClauses(text, language)).toEqual(clauses);
  });

  it("does not split inside a word that contains a joiner", () => {
    expect(splitClauses("my brand new band", "en")).toEqual(["my brand new band"]);
  });
});

describe("emails", () => {
  it("finds and masks typed addresses", () => {
    expect(emailsIn("paid as jo.b+x@mail.example.com and a@b.io")).toEqual(["jo.b+x@mail.example.com", "a@b.io"]);
    expect(maskEmails("paid as jo@mail.com, ticket T-0A1B2C3D")).toBe("paid as emailaddress, ticket ticketreference");
  });
});

describe("normalizeSentence", () => {
  it("ignores case, accents, punctuation and spacing", () => {
    expect(normalizeSentence("  ¿Dónde  está MI invitación?! ")).toBe("donde esta mi invitacion");
  });
  it("is idempotent", () => {
    fc.assert(fc.property(fc.string(), (text) => normalizeSentence(normalizeSentence(text)) === normalizeSentence(text)));
  });
});

describe("speller", () => {
  const speller = buildSpeller(["please resend the invitation", "I want a refund", "cancel my subscription"]);
  it("repairs a typo to the closest corpus word", () => {
    expect(speller.correct("pls resnd the invitaton")).toBe("pls resend the invitation");
    expect(speller.correct("refunnd")).toBe("refund");
  });
  it("leaves short and unknown words alone", () => {
    expect(speller.correct("zzzzzzzz abc")).toBe("zzzzzzzz abc");
  });
  it("never changes a word the corpus knows", () => {
    fc.assert(fc.property(fc.constantFrom("please", "resend", "invitation", "refund", "cancel", "subscription"), (word) => speller.correct(word) === fold(word)));
  });
});
