import type { Replies } from "./types";

const OFFER = "Ich kann deine Mitgliedschaft, deinen Community-Zugang und Einladungen sowie deine Zahlungen prüfen oder dich an einen Menschen weitergeben.";

export const de: Replies = {
  locale: "de-DE",
  at: (date, time) => `${date} um ${time} UTC`,
  offer: OFFER,
  clarify: `Ich bin nicht sicher, ob ich das verstanden habe. ${OFFER} Was möchtest du, oder soll ich deine Frage an einen Menschen weitergeben?`,
  greeting: `Hallo! ${OFFER}`,
  thanks: `Gern geschehen! ${OFFER}`,
  refusal: `Ich kann nur das Konto ansehen, mit dem du angemeldet bist, und nur sagen, was es zeigt. Ich kann diese Regeln nicht ändern, keine Daten anderer Kunden weitergeben und keinen Zugang gewähren, der nicht bezahlt ist. ${OFFER}`,
  noRecord:
    "Ich finde keinen Kauf zu der E-Mail-Adresse, mit der du angemeldet bist. Wenn du mit einer anderen Adresse bezahlt hast, kann ich das an unser Team geben, damit es sie zuordnet.",
  noRecordTickets: "Tickets eines Kontos, das ich nicht finde, kann ich nicht sehen.",
  nothingToConfirm: `Ich weiß nicht genau, womit ich weitermachen soll. ${OFFER} Was soll ich tun?`,
  leads: {
    refund: "Erstattungen kann ich nicht selbst auslösen; darüber entscheidet ein Mensch.",
    cancel: "Ich kann deine Mitgliedschaft nicht selbst ändern.",
    human: "Gern.",
    wrongEmail: "Andere E-Mail-Adressen kann ich nicht nachschlagen; unser Team kann deinen Kauf diesem Konto zuordnen.",
  },
  membership: {
    none: "Ich sehe dein Konto, aber noch keine Mitgliedschaft darauf.",
    active: (plan) => `Deine Mitgliedschaft ${plan} ist aktiv.`,
    trialing: (plan) => `Deine Mitgliedschaft ${plan} ist in der Testphase.`,
    pastDueEnded: (plan, day) =>
      `Die letzte Zahlung für ${plan} ist fehlgeschlagen und die Frist für neue Versuche endete am ${day}, daher ist der Zugang beendet. Wenn du deine Karte aktualisierst und die offene Rechnung bezahlst, wird er wiederhergestellt.`,
    pastDue: (plan, until) => `Die letzte Zahlung für ${plan} ist fehlgeschlagen${until ? `; du behältst den Zugang bis ${until}, während die Karte erneut belastet wird` : ""}. Eine aktualisierte Karte behebt das.`,
    canceled: (plan, until) => `Deine Mitgliedschaft ${plan} ist gekündigt${until ? ` und endet am ${until}` : ""}; bis dahin behältst du den Zugang.`,
    disputed: (plan) => `Deine Zahlung für ${plan} wird bei deiner Bank angefochten, daher ist der Zugang beendet, solange der Streitfall offen ist.`,
    refunded: (plan) => `Dein Kauf ${plan} wurde erstattet, daher ist der Zugang beendet.`,
    expired: (plan) => `Deine Mitgliedschaft ${plan} ist abgelaufen.`,
    other: (plan, status) => `Der Status deiner Mitgliedschaft ${plan} ist ${status}.`,
  },
  access: {
    none: "Dein Konto hat keinen Community-Zugang.",
    pending: (group, retrying) => `Dein Zugang zu ${group} wird eingerichtet: Die Einladung ${retrying ? "wird erneut versucht" : "steht in der Warteschlange"} und sollte in wenigen Minuten ankommen.`,
    invited: (group, when) => `Eine Einladung zu ${group} wurde am ${when} an die E-Mail-Adresse deines Kaufs gesendet. Bitte sieh im Spam-Ordner nach; ich kann sie bei Bedarf erneut senden.`,
    active: (group) => `Du hast Zugang zu ${group}.`,
    revoked: (group) => `Dein Zugang zu ${group} ist beendet.`,
    failed: (group, problem) => `Die Einrichtung deines Zugangs zu ${group} hat nicht geklappt${problem ? ` (${problem})` : ""}.`,
    other: (group, state) => `Dein Zugang zu ${group} ist im Zustand ${state}.`,
  },
  payment: {
    noneOnTrial: "Dir wurde noch nichts berechnet: Du bist in einer kostenlosen Testphase.",
    none: "Ich sehe noch keine Zahlung auf deinem Konto.",
    paid: (when) => `Deine letzte Zahlung ist am ${when} erfolgreich eingegangen.`,
    failed: (when) => `Deine letzte Zahlung ist am ${when} fehlgeschlagen.`,
    refunded: (when) => `Deine letzte Zahlung wurde erstattet (erfasst am ${when}).`,
    disputed: (when) => `Deine letzte Zahlung wird bei deiner Bank angefochten (erfasst am ${when}).`,
    other: (status, when) => `Deine letzte Zahlung ist im Zustand ${status} (${when}).`,
  },
  ticket: {
    created: (ref) => `Ich habe das an unser Team weitergegeben: Dein Ticket ist ${ref}. Ein Mensch antwortet dir hier in diesem Chat.`,
    reopened: (ref) => `Ich habe dein früheres Ticket dazu (${ref}) wieder geöffnet und deine Nachricht hinzugefügt. Ein Mensch antwortet dir hier in diesem Chat.`,
    existing: (ref) => `Du hast dazu schon ein offenes Ticket (${ref}); ich habe deine Nachricht hinzugefügt.`,
  },
  topics: { billing: "die Abrechnung", access: "den Community-Zugang", refund: "eine Erstattung", cancellation: "eine Kündigung", other: "deine Frage" },
  openTicket: (ref, topic, when, waiting) =>
    `Dein Ticket ${ref} über ${topic}, eröffnet am ${when}, ${waiting ? "wartet auf deine Antwort: Unser Team hat geantwortet" : "ist offen: Unser Team kümmert sich, und ein Mensch antwortet dir hier in diesem Chat"}.`,
  noOpenTickets: "Du hast gerade kein offenes Ticket bei uns. Soll ich deine Frage an einen Menschen weitergeben?",
  noNeedForAnother: "Ein weiteres ist nicht nötig.",
  alreadyInHand: "Unser Team kümmert sich bereits darum.",
  resend: {
    queued: "Erledigt: Ich habe veranlasst, dass deine Community-Einladung erneut gesendet wird. Sie sollte in wenigen Minuten an die Adresse kommen, mit der du angemeldet bist.",
    alreadyQueued: (reason) => `Ich habe keine weitere gesendet: ${reason}. Bitte warte ein paar Minuten und sieh im Spam-Ordner nach.`,
    alreadyActive: "Dein Community-Zugang ist bereits aktiv, es gibt also keine Einladung zum erneuten Senden: Du kannst dich direkt in der Community anmelden.",
    cannot: (reason) => `Ich kann keine Einladung erneut senden: ${reason}. ${OFFER}`,
  },
  reasons: {
    "no purchase is linked to this email address": "zu dieser E-Mail-Adresse gibt es keinen Kauf",
    "there is no active membership on this account": "auf diesem Konto gibt es keine aktive Mitgliedschaft",
    "the membership includes no community access": "die Mitgliedschaft enthält keinen Community-Zugang",
    "an invite was resent less than 15 minutes ago": "vor weniger als 15 Minuten wurde schon eine Einladung erneut gesendet",
    "the invite is already on its way": "die Einladung ist schon unterwegs",
  },
};
