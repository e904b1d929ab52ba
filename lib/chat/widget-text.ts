import type { Language } from "./language";

// The widget's own words (labels, notices, errors) in the languages the bot speaks, chosen from
// the browser's languages. Client-safe: no imports beyond a type, so nothing server-side reaches
// the bundle.

export interface WidgetText {
  title: string;
  tagline: string;
  waitingForSignIn: string;
  signInExpired: string;
  unavailable: string;
  genericError: string;
  emptyConversation: string;
  youSaid: string;
  supportSaid: string;
  conversation: string;
  working: string;
  tools: { getEntitlement: string; resendInvite: string; openBillingTicket: string };
  sending: string;
  checking: string;
  aPerson: string;
  /** "{who} is looking after your conversation (ticket T-…). The assistant is paused…" */
  handoff(who: string, ticket: string | null): string;
  yourMessage: string;
  placeholder: string;
  send: string;
}

export const WIDGET_TEXT: Record<Language, WidgetText> = {
  en: {
    title: "Support",
    tagline: "Answers from your account, right now.",
    waitingForSignIn: "Waiting for your sign-in on the site…",
    signInExpired: "Your sign-in has expired. Please reload the page.",
    unavailable: "The chat is unavailable right now.",
    genericError: "Something went wrong on our side. Please try again in a moment.",
    emptyConversation: "Ask about your membership, community access, invites or billing.",
    youSaid: "You said:",
    supportSaid: "Support said:",
    conversation: "Conversation",
    working: "Working",
    tools: { getEntitlement: "Checked your membership", resendInvite: "Asked for your invite to be resent", openBillingTicket: "Passed this to our team" },
    sending: "Sending…",
    checking: "Checking your account…",
    aPerson: "A person from our support team",
    handoff: (who, ticket) => `${who} is looking after your conversation${ticket ? ` (ticket ${ticket})` : ""}. The assistant is paused until they hand it back.`,
    yourMessage: "Your message",
    placeholder: "Type your question",
    send: "Send",
  },
  es: {
    title: "Soporte",
    tagline: "Respuestas de tu cuenta, al momento.",
    waitingForSignIn: "Esperando a que inicies sesión en el sitio…",
    signInExpired: "Tu sesión ha caducado. Vuelve a cargar la página.",
    unavailable: "El chat no está disponible ahora mismo.",
    genericError: "Algo ha fallado por nuestra parte. Inténtalo de nuevo en un momento.",
    emptyConversation: "Pregunta por tu membresía, el acceso a la comunidad, las invitaciones o los pagos.",
    youSaid: "Tú dijiste:",
    supportSaid: "Soporte dijo:",
    conversation: "Conversación",
    working: "Trabajando",
    tools: { getEntitlement: "He revisado tu membresía", resendInvite: "He pedido reenviar tu invitación", openBillingTicket: "Lo he pasado a nuestro equipo" },
    sending: "Enviando…",
    checking: "Revisando tu cuenta…",
    aPerson: "Una persona de nuestro equipo de soporte",
    handoff: (who, ticket) => `${who} se está ocupando de tu conversación${ticket ? ` (ticket ${ticket})` : ""}. El asistente está en pausa hasta que te la devuelva.`,
    yourMessage: "Tu mensaje",
    placeholder: "Escribe tu pregunta",
    send: "Enviar",
  },
  fr: {
    title: "Assistance",
    tagline: "Des réponses tirées de votre compte, tout de suite.",
    waitingForSignIn: "En attente de votre connexion sur le site…",
    signInExpired: "Votre connexion a expiré. Veuillez recharger la page.",
    unavailable: "Le chat est indisponible pour le moment.",
    genericError: "Un problème est survenu de notre côté. Réessayez dans un instant.",
    emptyConversation: "Posez vos questions sur votre adhésion, l'accès à la communauté, les invitations ou la facturation.",
    youSaid: "Vous avez dit :",
    supportSaid: "L'assistance a répondu :",
    conversation: "Conversation",
    working: "En cours",
    tools: { getEntitlement: "Adhésion vérifiée", resendInvite: "Renvoi de l'invitation demandé", openBillingTicket: "Transmis à notre équipe" },
    sending: "Envoi…",
    checking: "Vérification de votre compte…",
    aPerson: "Une personne de notre équipe d'assistance",
    handoff: (who, ticket) => `${who} s'occupe de votre conversation${ticket ? ` (ticket ${ticket})` : ""}. L'assistant est en pause jusqu'à ce qu'on vous le rende.`,
    yourMessage: "Votre message",
    placeholder: "Écrivez votre question",
    send: "Envoyer",
  },
  de: {
    title: "Support",
    tagline: "Antworten aus deinem Konto, sofort.",
    waitingForSignIn: "Warte auf deine Anmeldung auf der Website…",
    signInExpired: "Deine Anmeldung ist abgelaufen. Bitte lade die Seite neu.",
    unavailable: "Der Chat ist gerade nicht verfügbar.",
    genericError: "Bei uns ist etwas schiefgegangen. Bitte versuche es gleich noch einmal.",
    emptyConversation: "Frag nach deiner Mitgliedschaft, dem Community-Zugang, Einladungen oder Zahlungen.",
    youSaid: "Du hast geschrieben:",
    supportSaid: "Der Support hat geschrieben:",
    conversation: "Unterhaltung",
    working: "In Arbeit",
    tools: { getEntitlement: "Mitgliedschaft geprüft", resendInvite: "Erneuten Versand der Einladung angefordert", openBillingTicket: "An unser Team weitergegeben" },
    sending: "Wird gesendet…",
    checking: "Dein Konto wird geprüft…",
    aPerson: "Ein Mensch aus unserem Support-Team",
    handoff: (who, ticket) => `${who} kümmert sich um deine Unterhaltung${ticket ? ` (Ticket ${ticket})` : ""}. Der Assistent pausiert, bis sie zurückgegeben wird.`,
    yourMessage: "Deine Nachricht",
    placeholder: "Schreib deine Frage",
    send: "Senden",
  },
  pt: {
    title: "Suporte",
    tagline: "Respostas da sua conta, na hora.",
    waitingForSignIn: "Aguardando você entrar no site…",
    signInExpired: "Sua sessão expirou. Recarregue a página.",
    unavailable: "O chat não está disponível agora.",
    genericError: "Algo deu errado do nosso lado. Tente de novo em instantes.",
    emptyConversation: "Pergunte sobre sua assinatura, o acesso à comunidade, convites ou pagamentos.",
    youSaid: "Você disse:",
    supportSaid: "O suporte disse:",
    conversation: "Conversa",
    working: "Trabalhando",
    tools: { getEntitlement: "Verifiquei sua assinatura", resendInvite: "Pedi o reenvio do seu convite", openBillingTicket: "Passei para nossa equipe" },
    sending: "Enviando…",
    checking: "Verificando sua conta…",
    aPerson: "Uma pessoa da nossa equipe de suporte",
    handoff: (who, ticket) => `${who} está cuidando da sua conversa${ticket ? ` (chamado ${ticket})` : ""}. O assistente fica pausado até devolverem a conversa.`,
    yourMessage: "Sua mensagem",
    placeholder: "Digite sua pergunta",
    send: "Enviar",
  },
};

const isWidgetLanguage = (code: string): code is Language => Object.hasOwn(WIDGET_TEXT, code);

/** The first of the browser's languages (navigator.languages, best first) the widget speaks; English otherwise. */
export function widgetLanguage(browserLanguages: readonly string[]): Language {
  for (const tag of browserLanguages) {
    const base = tag.toLowerCase().split(/[-_]/)[0] ?? "";
    if (isWidgetLanguage(base)) return base;
  }
  return "en";
}
