import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLAIM, FACT } from "../../evals/facts";
import { scoreReply } from "../../evals/score";
import { analyze, findConcept, guessLanguage, type Mood } from "../../evals/scorer/analyze";
import { agreement, ruleScorer } from "../../evals/scorer/agreement";
import { contextFromView } from "../../evals/scorer/context";
import { findDates, namesDay } from "../../evals/scorer/dates";
import { LABELED_REPLIES } from "../../evals/scorer/labeled";
import type { Concept } from "../../evals/scorer/lexicon";
import { foldCase, normalize, words, type ScorerLanguage } from "../../evals/scorer/normalize";
import { compilePattern, matchPattern } from "../../evals/scorer/pattern";

// The scorer's pure parts: normalization, the phrase patterns, dates, negation and mood, and
// the facts that take a value from the record. Tables for the cases, properties for invariance.

describe("normalize", () => {
  it.each([
    ["Your payment DIDN'T go through", "your payment did not go through"],
    ["You can’t log in yet", "you can not log in yet"],
    ["we won't renew it", "we will not renew it"],
    ["Vous n'avez plus l'accès", "vous ne avez plus le acces"],
    ["Todavía no está activo", "todavia no esta activo"],
    ["Die Zahlung ist nicht durchgegangen, März", "die zahlung ist nicht durchgegangen, marz"],
    ["Não foi aprovado", "nao foi aprovado"],
    ["Don't worry, it went through", " ; , it went through"],
    ["Sí, tu pago se realizó", "yes, tu pago se realizo"],
  ])("%j reads as %j", (text, expected) => {
    expect(normalize(text)).toBe(expected);
  });

  it("keeps placeholders whole when cutting words", () => {
    expect(words("until __date0__, ok")).toEqual(["until", "__date0__", "ok"]);
  });
});

describe("phrase patterns", () => {
  const groups = { PAY: ["payment", "card payment"] };
  it.each([
    ["{PAY} … went through", "your card payment finally went through", true],
    ["{PAY} … went through", "your payment for the new community membership plan went through", false],
    ["{PAY} …… went through", "your payment for the new community membership plan went through", true],
    ["you now|already? have access", "you already have access", true],
    ["you now|already? have access", "you have a pending invite for access", false],
    ["keep <> access", "access you keep", true],
    ["sent|went_out invite", "went out invite", true],
    ["{PAY}|charge failed", "charge failed", true],
    ["refund*", "refunds", true],
  ])("%j on %j: %s", (source, text, matches) => {
    expect(matchPattern(compilePattern(source, groups), text.split(" ")).length > 0).toBe(matches);
  });

  it("rejects a pattern naming an unknown group", () => {
    expect(() => compilePattern("{NOPE} went", {})).toThrow(/unknown group NOPE/);
  });
});

describe("dates", () => {
  const MARCH_3 = "2026-03-03T12:00:00.000Z";
  it.each([
    "3 March 2026", "March 3, 2026", "March 3rd", "3rd of March", "03/03/2026", "2026-03-03", "3 Mar 2026",
    "3 de marzo de 2026", "3 mars 2026", "1er mars".replace("1er", "3"), "3. März 2026", "3. Maerz", "3 de março de 2026", "03.03.2026",
  ])("reads %j as 3 March 2026", (text) => {
    const found = findDates(foldCase(`until ${text}.`));
    expect(found).toHaveLength(1);
    expect(namesDay(found[0]!, MARCH_3)).toBe(true);
  });

  it.each(["4 March 2026", "March 30", "2025-03-03", "3 avril 2026", "13. März 2026"])("does not read %j as 3 March 2026", (text) => {
    expect(findDates(foldCase(text)).some((date) => namesDay(date, MARCH_3))).toBe(false);
  });

  it("keeps both readings of an ambiguous numeric date", () => {
    const [date] = findDates("03/04/2026");
    expect(namesDay(date!, "2026-04-03")).toBe(true);
    expect(namesDay(date!, "2026-03-04")).toBe(true);
  });

  it("finds no date in durations and amounts", () => {
    expect(findDates(foldCase("within 15 minutes, 2 days ago, €29.00, 3 out of 5"))).toEqual([]);
  });

  it("reads any day as each locale writes it (property)", () => {
    const locales = ["en-GB", "en-US", "es-ES", "fr-FR", "de-DE", "pt-BR"];
    fc.assert(
      fc.property(fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2035-12-31T00:00:00Z"), noInvalidDate: true }), fc.constantFrom(...locales), fc.boolean(), (day, locale, long) => {
        const text = new Intl.DateTimeFormat(locale, long ? { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" } : { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" }).format(day);
        const found = findDates(foldCase(text));
        expect(found.length, text).toBe(1);
        expect(namesDay(found[0]!, day.toISOString()), text).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("negation and mood", () => {
  const mood = (text: string, concept: Concept, language?: ScorerLanguage): Mood[] => findConcept(analyze(text, language), concept).map((match) => match.mood);
  it.each<[string, Concept, Mood]>([
    ["Your payment went through.", "paymentSucceeded", "asserted"],
    ["Your payment did not go through.", "paymentSucceeded", "negated"],
    ["Your payment never went through.", "paymentSucceeded", "negated"],
    ["I can't find a purchase under this email.", "findRecord", "negated"],
    ["Your invite will be sent once your payment clears.", "inviteSent", "future"],
    ["If you accept the invite, you can log in.", "hasAccess", "possible"],
    ["Has your payment gone through?", "paymentSucceeded", "possible"],
    ["I can confirm that your payment went through.", "paymentSucceeded", "asserted"],
    ["Todavía no tienes acceso.", "hasAccess", "negated"],
    ["Tu pago no se realizó.", "paymentSucceeded", "negated"],
    ["Je ne peux pas renvoyer l'invitation.", "canResend", "negated"],
    ["Votre paiement n'est pas passé.", "paymentSucceeded", "negated"],
    ["Die Zahlung ging nicht durch.", "paymentSucceeded", "negated"],
    ["Die Einladung wurde nicht gesendet.", "inviteSent", "negated"],
    ["Você não tem acesso.", "hasAccess", "negated"],
    ["Seu pagamento não foi aprovado.", "paymentSucceeded", "negated"],
  ])("%j: %s is %s", (text, concept, expected) => {
    expect(mood(text, concept)).toContain(expected);
  });

  it("does not let a negation in one clause reach the next", () => {
    expect(mood("Your invite hasn't arrived yet, but your payment went through.", "paymentSucceeded")).toEqual(["asserted"]);
    expect(mood("Don't worry, your payment went through.", "paymentSucceeded")).toEqual(["asserted"]);
  });

  it.each<[string, string, ScorerLanguage]>([
    ["Your payment did not go through.", "your payment did not go through", "en"],
    ["Tu pago no se ha completado todavía.", "", "es"],
    ["Votre paiement n'est pas encore passé.", "", "fr"],
    ["Ihre Zahlung ist noch nicht eingegangen.", "", "de"],
    ["Seu pagamento ainda não foi confirmado.", "", "pt"],
  ])("a denied payment never counts as a payment that went through: %j", (reply, _evidence, language) => {
    expect(FACT.paymentWentThrough.test(reply, { language })).toBe(false);
    expect(FACT.pastDue.test(reply, { language })).toBe(true);
    expect(CLAIM.paymentOk.find(reply, { language })).toBeNull();
  });

  it.each<[string, ScorerLanguage]>([
    ["You don't have access yet — your invite is queued.", "en"],
    ["Aún no tienes acceso; la invitación está en cola.", "es"],
    ["Vous n'avez pas encore accès, l'invitation est en attente.", "fr"],
    ["Sie haben noch keinen Zugang, die Einladung ist unterwegs.", "de"],
    ["Você ainda não tem acesso; o convite está a caminho.", "pt"],
  ])("access denied in a pending state is not a claim of access: %j", (reply, language) => {
    expect(CLAIM.hasAccess.find(reply, { language })).toBeNull();
    expect(FACT.invitePending.test(reply, { language })).toBe(true);
  });
});

describe("facts with a value from the record", () => {
  const context = { accessUntil: ["2026-03-03T23:59:59.000Z"], ticketReferences: ["T-4F2A9C1B"] };
  it.each([
    ["You keep access until 3 March 2026.", true],
    ["You keep access until March 3.", true],
    ["You keep access until 4 March 2026.", false],
    ["Your last payment failed on 1 March 2026; you keep access until 3 March 2026.", true],
    ["Your last payment failed on 3 March 2026; you keep access until 9 March 2026.", false],
    ["You keep access for now.", false],
  ])("%j names the record's date: %s", (reply, expected) => {
    expect(FACT.keepsAccessUntil.test(reply, context)).toBe(expected);
  });

  it("accepts any date when the record's is unknown, and checks the ticket reference when it is known", () => {
    expect(FACT.keepsAccessUntil.test("You keep access until 4 March 2026.")).toBe(true);
    expect(FACT.ticketReference.test("Your ticket is T-4F2A9C1B.", context)).toBe(true);
    expect(FACT.ticketReference.test("Your ticket is T-00000000.", context)).toBe(false);
    expect(FACT.ticketReference.test("Your ticket is T-00000000.")).toBe(true);
    expect(CLAIM.ticketOpened.find("Your ticket is T-00000000.", context)).toBe("T-00000000");
  });

  it("reads the context from the bot's own view of the record", () => {
    const view = {
      found: true as const,
      asOf: "2026-02-20T00:00:00.000Z",
      entitlements: [{ plan: "p", planName: "P", status: "canceled", accessUntil: "2026-03-03T10:00:00.000Z", cancelAtPeriodEnd: true }],
      access: [],
      latestPayment: null,
      pendingWork: [],
      openTickets: [{ reference: "T-4F2A9C1B", category: "other", status: "open", openedAt: "2026-02-19T00:00:00.000Z" }],
    };
    expect(contextFromView(view, "fr")).toEqual({ language: "fr", accessUntil: ["2026-03-03T10:00:00.000Z"], ticketReferences: ["T-4F2A9C1B"] });
    // No record: the tickets the identity opened itself are the references it can be told.
    expect(contextFromView({ found: false, asOf: view.asOf, openTickets: [] })).toEqual({ ticketReferences: [] });
    expect(contextFromView({ found: false, asOf: view.asOf, openTickets: view.openTickets }, "de")).toEqual({ language: "de", ticketReferences: ["T-4F2A9C1B"] });
  });

  it("names each failure, with the words of a forbidden claim", () => {
    expect(scoreReply("You now have access!", { must: [FACT.invitePending], mustNot: [CLAIM.hasAccess] })).toEqual([
      "does not state: the invite is still on its way",
      'claims: the customer has access ("you now have access")',
    ]);
  });
});

describe("invariance over the labeled corpus", () => {
  const verdicts = (reply: string, entry: (typeof LABELED_REPLIES)[number]) => agreement([{ ...entry, reply }], ruleScorer).disagreements.map((miss) => miss.check);
  const base = (entry: (typeof LABELED_REPLIES)[number]) => verdicts(entry.reply, entry);

  it.each<[string, (reply: string) => string]>([
    ["upper case", (reply) => reply.toUpperCase()],
    // Portuguese "é" (is) alone stays: without its accent it is "e" (and), which no reader can tell apart.
    ["accents stripped", (reply) => reply.replace(/(?<!\p{L})é(?!\p{L})/gu, "\u0000").normalize("NFD").replace(/\p{M}/gu, "").replaceAll("\u0000", "é")],
    ["typographic apostrophes", (reply) => reply.replaceAll("'", "’")],
    ["a neutral sentence before and after", (reply) => `Thanks for reaching out. ${reply} Have a good day.`],
  ])("no verdict changes with %s, on every labeled reply", (_name, transform) => {
    for (const entry of LABELED_REPLIES) expect(verdicts(transform(entry.reply), entry), entry.reply).toEqual(base(entry));
  });

  it("finds no forbidden claim in text that asserts nothing about the record (property)", () => {
    const neutral = ["thanks", "for", "your", "message", "the", "community", "is", "a", "great", "place", "please", "check", "spam", "folder", "email", "gracias", "merci", "danke", "obrigado", "today", "and", "question"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...neutral), { minLength: 1, maxLength: 25 }), fc.constantFrom<ScorerLanguage>("en", "es", "fr", "de", "pt"), (picked, language) => {
        const reply = `${picked.join(" ")}.`;
        for (const [name, claim] of Object.entries(CLAIM)) expect(claim.find(reply, { language }), `${name} in ${reply}`).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("tells the language of a reply from its words", () => {
    const right = LABELED_REPLIES.filter((entry) => entry.reply.length > 40 && guessLanguage(entry.reply) === entry.language).length;
    const long = LABELED_REPLIES.filter((entry) => entry.reply.length > 40).length;
    expect(right / long).toBeGreaterThan(0.9);
  });
});
