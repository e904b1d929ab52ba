import type { Replies } from "./types";

const OFFER = "Je peux vérifier votre adhésion, votre accès à la communauté et les invitations, et vos paiements, ou vous passer une personne.";

export const fr: Replies = {
  locale: "fr-FR",
  at: (date, time) => `${date} à ${time} UTC`,
  offer: OFFER,
  clarify: `Je ne suis pas sûr d'avoir compris. ${OFFER} Que souhaitez-vous, ou dois-je transmettre votre question à une personne ?`,
  greeting: `Bonjour ! ${OFFER}`,
  thanks: `Avec plaisir ! ${OFFER}`,
  refusal: `Je ne peux consulter que le compte avec lequel vous êtes connecté, et dire seulement ce qu'il montre. Je ne peux pas changer ces règles, partager les données d'autres clients ni donner un accès qui n'a pas été payé. ${OFFER}`,
  noRecord:
    "Je ne trouve aucun achat lié à l'adresse e-mail avec laquelle vous êtes connecté. Si vous avez payé avec une autre adresse, je peux transmettre à notre équipe pour qu'elle la rattache.",
  noRecordTickets: "Je ne peux pas voir les tickets d'un compte que je ne trouve pas.",
  nothingToConfirm: `Je ne sais pas bien quoi lancer. ${OFFER} Que voulez-vous que je fasse ?`,
  leads: {
    refund: "Je ne peux pas effectuer de remboursement moi-même ; c'est une personne qui décide.",
    cancel: "Je ne peux pas modifier votre adhésion moi-même.",
    human: "Bien sûr.",
    wrongEmail: "Je ne peux pas consulter d'autres adresses e-mail ; notre équipe peut rattacher votre achat à ce compte.",
  },
  membership: {
    none: "Je vois votre compte, mais aucune adhésion dessus pour l'instant.",
    active: (plan) => `Votre adhésion ${plan} est active.`,
    trialing: (plan) => `Votre adhésion ${plan} est en période d'essai.`,
    pastDueEnded: (plan, day) =>
      `Le dernier paiement pour ${plan} a échoué et la période de nouvelles tentatives s'est terminée le ${day} : son accès a donc pris fin. Mettre à jour votre carte et payer la facture en attente le rétablira.`,
    pastDue: (plan, until) => `Le dernier paiement pour ${plan} a échoué${until ? ` ; vous gardez l'accès jusqu'au ${until} pendant que la carte est de nouveau débitée` : ""}. Mettre à jour votre carte réglera le problème.`,
    canceled: (plan, until) => `Votre adhésion ${plan} est annulée${until ? ` et se termine le ${until}` : ""} ; vous gardez l'accès jusque-là.`,
    disputed: (plan) => `Votre paiement pour ${plan} est contesté auprès de votre banque : son accès a pris fin tant que la contestation est ouverte.`,
    refunded: (plan) => `Votre achat ${plan} a été remboursé : son accès a donc pris fin.`,
    expired: (plan) => `Votre adhésion ${plan} a pris fin.`,
    other: (plan, status) => `Le statut de votre adhésion ${plan} est ${status}.`,
  },
  access: {
    none: "Votre compte n'a aucun accès à la communauté.",
    pending: (group, retrying) => `Votre accès à ${group} est en cours de mise en place : l'invitation ${retrying ? "est en train d'être renvoyée" : "est en file d'attente"} et devrait arriver d'ici quelques minutes.`,
    invited: (group, when) => `Une invitation à ${group} a été envoyée le ${when} à l'adresse e-mail de votre achat. Vérifiez vos spams ; je peux la renvoyer si besoin.`,
    active: (group) => `Vous avez accès à ${group}.`,
    revoked: (group) => `Votre accès à ${group} a pris fin.`,
    failed: (group, problem) => `La mise en place de votre accès à ${group} n'a pas fonctionné${problem ? ` (${problem})` : ""}.`,
    other: (group, state) => `Votre accès à ${group} est à l'état ${state}.`,
  },
  payment: {
    noneOnTrial: "Rien ne vous a encore été facturé : vous êtes en essai gratuit.",
    none: "Je ne vois encore aucun paiement sur votre compte.",
    paid: (when) => `Votre dernier paiement a bien été effectué le ${when}.`,
    failed: (when) => `Votre dernier paiement a échoué le ${when}.`,
    refunded: (when) => `Votre dernier paiement a été remboursé (enregistré le ${when}).`,
    disputed: (when) => `Votre dernier paiement est contesté auprès de votre banque (enregistré le ${when}).`,
    other: (status, when) => `Votre dernier paiement est à l'état ${status} (${when}).`,
  },
  ticket: {
    created: (ref) => `J'ai transmis cela à notre équipe : votre ticket est ${ref}. Une personne vous répondra ici, dans ce chat.`,
    reopened: (ref) => `J'ai rouvert votre ticket précédent à ce sujet (${ref}) et j'y ai ajouté votre message. Une personne vous répondra ici, dans ce chat.`,
    existing: (ref) => `Vous avez déjà un ticket ouvert à ce sujet (${ref}) ; j'y ai ajouté votre message.`,
  },
  topics: { billing: "la facturation", access: "l'accès à la communauté", refund: "un remboursement", cancellation: "une résiliation", other: "votre question" },
  openTicket: (ref, topic, when, waiting) =>
    `Votre ticket ${ref} concernant ${topic}, ouvert le ${when}, est ${waiting ? "en attente de votre réponse : notre équipe y a répondu" : "ouvert : notre équipe s'en occupe et une personne vous répondra ici, dans ce chat"}.`,
  noOpenTickets: "Vous n'avez aucun ticket ouvert pour le moment. Voulez-vous que je transmette votre question à une personne ?",
  noNeedForAnother: "Inutile d'en ouvrir un autre.",
  alreadyInHand: "Notre équipe s'en occupe déjà.",
  resend: {
    queued: "C'est fait : j'ai demandé que votre invitation à la communauté soit renvoyée. Elle devrait arriver d'ici quelques minutes à l'adresse avec laquelle vous êtes connecté.",
    alreadyQueued: (reason) => `Je n'en ai pas renvoyé d'autre : ${reason}. Patientez quelques minutes et vérifiez vos spams.`,
    alreadyActive: "Votre accès à la communauté est déjà actif, il n'y a donc pas d'invitation à renvoyer : vous pouvez vous connecter directement à la communauté.",
    cannot: (reason) => `Je ne peux pas renvoyer d'invitation : ${reason}. ${OFFER}`,
  },
  reasons: {
    "no purchase is linked to this email address": "aucun achat n'est lié à cette adresse e-mail",
    "there is no active membership on this account": "ce compte n'a aucune adhésion active",
    "the membership includes no community access": "l'adhésion ne comprend pas d'accès à la communauté",
    "an invite was resent less than 15 minutes ago": "une invitation a été renvoyée il y a moins de 15 minutes",
    "the invite is already on its way": "l'invitation est déjà en route",
  },
};
