import { labeled } from "./corpus";

// Written after the scorer was changed for the multilingual scenarios (a clock time's colon, a
// note added to a ticket read as access granted, long phrases between an invitation and its
// verb, a card being retried read as a payment that went through), to check those changes
// generalise beyond the replies that exposed them. Scored as they were written: 25/30 verdicts
// (83.3%), every forbidden claim told apart (no "added your note" read as access granted, no
// retried card read as paid); the misses are facts stated in words the lexicon lacks ("se
// registró", a retry announced as "retenter"/"erneut belastet" for past due, a time and a long
// phrase between "convite" and "enviado"). Kept as they are.

export const HELD_OUT_VOICES = [
  ...labeled("de", [
    ["Ihre Zahlung ist am 2. März um 14:05 Uhr bei uns eingegangen.", "F:paymentWentThrough C:paymentOk"],
    ["Ich habe Ihre Nachricht zum bestehenden Ticket T-4F2A9C1B hinzugefügt.", "F:ticketReference c:grantedAccess c:hasAccess"],
    ["Die Einladung für die Masterclass-Gruppe in unserer Community wurde gestern an Ihre Adresse verschickt.", "F:inviteSent c:hasAccess"],
    ["Ihre Karte wird in den nächsten Tagen erneut belastet; bis dahin ist die Zahlung offen.", "F:pastDue c:paymentOk"],
  ]),
  ...labeled("es", [
    ["He añadido tu comentario a la solicitud T-4F2A9C1B que ya estaba abierta.", "F:ticketReference c:grantedAccess"],
    ["Te hemos añadido a la comunidad y ya puedes entrar.", "C:grantedAccess C:hasAccess"],
    ["El pago se registró a las 09:30 y la suscripción está al día.", "F:paymentWentThrough C:paymentOk"],
  ]),
  ...labeled("fr", [
    ["L'invitation pour rejoindre l'espace de la communauté a été envoyée ce matin à votre adresse.", "F:inviteSent c:hasAccess"],
    ["Votre paiement a été reçu à 16:45 ; tout est en ordre.", "F:paymentWentThrough C:paymentOk"],
    ["Nous allons retenter le prélèvement sur votre carte dans quelques jours.", "F:pastDue c:paymentOk"],
  ]),
  ...labeled("pt", [
    ["Adicionei sua mensagem ao chamado T-4F2A9C1B que já estava aberto.", "F:ticketReference c:grantedAccess"],
    ["O convite para o espaço da comunidade foi enviado hoje às 10:15 para o seu e-mail.", "F:inviteSent c:hasAccess"],
  ]),
  ...labeled("en", [
    ["I've added your note to ticket T-4F2A9C1B, which the team already has open.", "F:ticketReference c:grantedAccess c:hasAccess"],
    ["Your payment came through at 11:20 this morning.", "F:paymentWentThrough C:paymentOk"],
  ]),
];
