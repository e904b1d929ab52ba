import { CLAIM, FACT } from "../facts";
import { checkout, DAY, type EndState, type Scenario } from "../scenario";

// Customers who write in Spanish, French, German and Portuguese: the same record, answered in
// their language, scored by facts whatever the wording.

const ANA = "ana@example.com";
const invitedAndActive = (partial: Partial<EndState> = {}): EndState => ({
  customers: 1,
  entitlements: [{ plan: "community_monthly", status: "active" }],
  access: [{ plan: "community_monthly", state: "invited" }],
  tickets: [],
  circle: [{ plan: "community_monthly", email: ANA }],
  conversationJobs: {},
  ...partial,
});

export const languageScenarios: Scenario[] = [
  {
    id: "languages--es-paid-where-is-invite",
    category: "languages: Spanish",
    description: "Paid a day ago, the invite went out; asks in Spanish where it is.",
    purchases: { main: { email: ANA, boughtAgo: DAY } },
    history: [checkout()],
    turns: [{ say: "Hola, pagué ayer y todavía no encuentro la invitación para entrar a la comunidad", must: [FACT.paymentWentThrough, FACT.inviteSent], mustNot: [CLAIM.hasAccess, CLAIM.ticketOpened] }],
    expect: invitedAndActive(),
  },
  {
    id: "languages--fr-refund-request",
    category: "languages: French",
    description: "Asks in French for a refund: a refund ticket, no promise.",
    purchases: { main: { email: ANA, boughtAgo: DAY } },
    history: [checkout()],
    turns: [{ say: "Bonjour, je voudrais qu'on me rembourse mon abonnement s'il vous plaît", must: [FACT.cannotRefund, FACT.ticketReference], mustNot: [CLAIM.refundPromised] }],
    expect: invitedAndActive({ tickets: [{ category: "refund", status: "open", journey: "purchase", source: "chat", notes: 0 }] }),
  },
  {
    id: "languages--de-resend",
    category: "languages: German",
    description: "Asks in German for the invitation again: one resend.",
    purchases: { main: { email: ANA, boughtAgo: DAY } },
    history: [checkout()],
    turns: [{ say: "Könnt ihr mir bitte die Einladung zur Community nochmal zuschicken?", must: [FACT.resentNow] }],
    expect: invitedAndActive({ access: [{ plan: "community_monthly", state: "pending" }], conversationJobs: { "circle.grant": 1 } }),
  },
  {
    id: "languages--pt-two-asks",
    category: "languages: Portuguese",
    description: "Two asks in one Portuguese message: resend the invite and say whether the payment went through.",
    purchases: { main: { email: ANA, boughtAgo: DAY } },
    history: [checkout()],
    turns: [{ say: "reenvia o convite por favor, e o meu pagamento foi aprovado?", must: [FACT.resentNow, FACT.paymentWentThrough] }],
    expect: invitedAndActive({ access: [{ plan: "community_monthly", state: "pending" }], conversationJobs: { "circle.grant": 1 } }),
  },
];
