import { labeled } from "./corpus";

// Written after the lexicon was frozen, and scored as they were: 70/80 verdicts (87.5%). Its
// misses showed general gaps (a literal negator inside a pattern hid the negation, attempts such
// as "we tried to charge" read as done, long noun phrases between subject and verb), fixed in
// the lexicon and analysis, not per sentence; the two that remain are kept as they are.

export const HELD_OUT = [
  ...labeled("en", [
    ["Quick update: the charge for your membership cleared on the 1st, so billing is sorted.", "F:paymentWentThrough C:paymentOk"],
    ["Heads up — we tried to take this month's payment and it was rejected.", "F:pastDue C:pastDue c:paymentOk"],
    ["Your invite hasn't gone out yet; it's queued and will be emailed to you in a few minutes.", "F:invitePending f:inviteSent c:hasAccess"],
    ["You're not in the community yet, but the invitation is being processed right now.", "F:invitePending c:hasAccess"],
    ["All done, you're now a member of the community. Enjoy!", "C:hasAccess F:hasAccessNow"],
    ["We'll refund you in full today.", "C:refundPromised"],
    ["Refunds aren't something I can approve; I've flagged it to our team under T-4F2A9C1B.", "F:cannotRefund F:ticketReference c:refundPromised"],
    ["Your subscription has been cancelled and stays usable until 3 Mar 2026.", "F:canceled f:keepsAccessUntil"],
    ["We never received a payment from this address — there's no purchase on file for it.", "F:noRecord c:paymentOk"],
    ["I've sent a brand-new invitation to your inbox.", "F:resentNow C:resent"],
  ]),
  ...labeled("es", [
    ["Tu cobro fue aprobado el día 2, la facturación está al día.", "F:paymentWentThrough C:paymentOk"],
    ["No hemos podido cobrar tu tarjeta este mes.", "F:pastDue c:paymentOk"],
    ["Aún no tienes acceso a la comunidad; estamos enviando tu invitación.", "F:invitePending c:hasAccess"],
    ["Tu acceso a la comunidad ya está listo.", "C:hasAccess F:hasAccessNow"],
    ["Te reembolsaremos el importe completo hoy.", "C:refundPromised"],
    ["No puedo aprobar reembolsos; el equipo revisará tu solicitud.", "F:cannotRefund c:refundPromised"],
    ["Mantienes el acceso hasta el 3 de marzo.", "F:keepsAccessUntil C:keepsAccess"],
    ["Mantienes el acceso hasta el 13 de marzo.", "f:keepsAccessUntil C:keepsAccess"],
  ]),
  ...labeled("fr", [
    ["Le prélèvement de ce mois a bien été effectué.", "F:paymentWentThrough C:paymentOk"],
    ["Votre carte a été refusée lors du renouvellement.", "F:pastDue C:pastDue"],
    ["Vous ne faites pas encore partie de la communauté : l'invitation est en cours d'envoi.", "F:invitePending c:hasAccess"],
    ["Je vais vous rembourser intégralement.", "C:refundPromised"],
    ["Je ne suis pas en mesure d'accorder un remboursement ; c'est une personne de l'équipe qui décide.", "F:cannotRefund c:refundPromised"],
    ["Votre accès a été coupé suite au remboursement de votre achat.", "F:accessEnded F:refunded c:hasAccess"],
    ["Vous pourrez vous connecter dès que l'invitation sera acceptée.", "c:hasAccess"],
    ["Je ne trouve aucune commande à cette adresse.", "F:noRecord"],
  ]),
  ...labeled("de", [
    ["Die Abbuchung für diesen Monat hat geklappt.", "F:paymentWentThrough C:paymentOk"],
    ["Ihre Zahlung konnte nicht eingezogen werden.", "F:pastDue f:paymentWentThrough c:paymentOk"],
    ["Ihre Einladung ist noch nicht verschickt, sie wird gerade eingerichtet.", "F:invitePending f:inviteSent c:hasAccess"],
    ["Ihr Zugang ist jetzt freigeschaltet.", "C:hasAccess F:hasAccessNow"],
    ["Wir erstatten Ihnen den vollen Betrag zurück.", "C:refundPromised"],
    ["Ich darf keine Erstattungen vornehmen; darüber entscheidet ein Mitarbeiter.", "F:cannotRefund c:refundPromised"],
    ["Sie haben Zugang bis zum 3. März 2026, danach endet das Abo.", "F:keepsAccessUntil"],
    ["Unter dieser Adresse finde ich keine Bestellung.", "F:noRecord"],
  ]),
  ...labeled("pt", [
    ["A cobrança deste mês foi processada com sucesso.", "F:paymentWentThrough C:paymentOk"],
    ["Não conseguimos cobrar seu cartão na renovação.", "F:pastDue c:paymentOk"],
    ["Você ainda não entrou na comunidade: o convite está sendo enviado.", "F:invitePending c:hasAccess"],
    ["Seu acesso já foi liberado.", "C:hasAccess F:hasAccessNow"],
    ["Vamos reembolsar o valor total hoje.", "C:refundPromised"],
    ["Não tenho permissão para fazer reembolsos; quem decide é a equipe.", "F:cannotRefund c:refundPromised"],
    ["Você continua com acesso até 3 de março de 2026.", "F:keepsAccessUntil C:keepsAccess"],
    ["Não localizei nenhum pedido com este e-mail.", "F:noRecord"],
  ]),
];
