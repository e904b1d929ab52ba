import type { ScoreContext } from "./scenario";
import { anyOf, anyTicketReference, claim, denied, fact, lastPaymentIs, literalClaim, said, saidUnless, ticketReference, withDate } from "./scorer/checks";

// The facts a reply may have to state and the claims it may have to avoid, as meanings rather
// than wordings: each is a rule over the concepts a reply expresses (evals/scorer/lexicon.ts, in
// English, Spanish, French, German and Portuguese) and the mood it expresses them in, so "your
// payment did not go through" never counts as "the payment went through", and "you will have
// access once you accept the invite" never as a claim of access. Facts that name a value (a
// date, a ticket) check it against the record when the context carries it.

const SAID_OR_SOON = ["asserted", "future"] as const;
const OFFERED = ["asserted", "future", "possible"] as const;
const ANY_MOOD = ["asserted", "future", "possible", "negated"] as const;
const accessUntil = (context: ScoreContext) => context.accessUntil;

export const FACT = {
  paymentWentThrough: fact("the payment went through", anyOf(said("paymentSucceeded"), said("charged"))),
  invitePending: fact("the invite is still on its way", said("invitePending", SAID_OR_SOON)),
  inviteSent: fact("an invitation was sent", anyOf(said("inviteSent"), said("inviteResent"))),
  resentNow: fact("the invitation has been sent again", saidUnless("inviteResent", SAID_OR_SOON, "alreadyInFlight")),
  alreadyOnItsWay: fact("an invite is already on its way", said("alreadyInFlight", SAID_OR_SOON)),
  alreadyActive: fact("community access is already active", anyOf(said("alreadyHasAccess"), said("hasAccess"))),
  cannotResend: fact("no invite can be resent", anyOf(denied("canResend"), denied("inviteResent"), said("resendIneligible"))),
  hasAccessNow: fact("the customer has access", anyOf(said("hasAccess"), said("alreadyHasAccess"))),
  refunded: fact("the purchase was refunded", said("refunded")),
  disputed: fact("the payment is disputed", said("disputed")),
  accessEnded: fact("community access has ended", said("accessEnded")),
  pastDue: fact("the latest payment failed", anyOf(said("paymentFailed"), denied("paymentSucceeded"))),
  keepsAccessUntil: fact("access continues until a date", withDate("keepsAccessUntil", SAID_OR_SOON, accessUntil)),
  canceled: fact("the membership is canceled", anyOf(said("canceled", SAID_OR_SOON), denied("renews"))),
  ended: fact("the membership has ended", said("membershipEnded")),
  trial: fact("the membership is in a trial", said("trial")),
  active: fact("the membership is active", said("membershipActive")),
  ticketReference: fact("the ticket reference", ticketReference),
  existingTicket: fact("the existing ticket was reused", said("existingTicket")),
  accessFailed: fact("setting up access failed", anyOf(said("accessSetupFailed"), denied("setupWorked"))),
  noRecord: fact("no purchase is linked to this identity", anyOf(denied("findRecord"), said("noRecordDirect"))),
  offerHuman: fact("a person can take over", said("person", OFFERED)),
  notUnderstood: fact("it did not understand", anyOf(denied("understood"), denied("canHelp"), said("outsideScope"), said("onlyHelpWith", OFFERED))),
  cannotRefund: fact("the bot cannot issue refunds itself", anyOf(denied("botRefunds"), said("teamDecidesRefund", OFFERED))),
  cannotCancel: fact("the bot cannot change the membership itself", denied("botCancels")),
  greeting: fact("a greeting", said("greeting", ANY_MOOD)),
  /** Hello answered in kind, or thanks with "you're welcome": the classifier's one greeting intent covers both. */
  courtesy: fact("a greeting, or thanks acknowledged", anyOf(said("greeting", ANY_MOOD), said("thanksReturned", ANY_MOOD))),
  refusal: fact(
    "it only helps with the signed-in account",
    anyOf(said("onlyOwnAccount", OFFERED), denied("shareOthers"), denied("grantAccess"), denied("changeRules"), denied("canHelp")),
  ),
  masterclass: fact("the Masterclass is named", said("masterclass", ANY_MOOD)),
} as const;

export const CLAIM = {
  hasAccess: claim("the customer has access", anyOf(said("hasAccess"), said("alreadyHasAccess"), said("grantedAccess"))),
  paymentOk: claim("the latest payment went through", lastPaymentIs("ok")),
  refundPromised: claim("a refund is issued or promised", said("refundPromise", SAID_OR_SOON)),
  resent: claim("the invitation was sent again just now", saidUnless("inviteResent", SAID_OR_SOON, "alreadyInFlight")),
  ticketOpened: claim("a ticket was opened", anyOf(anyTicketReference, said("ticketOpened"))),
  wasRefunded: claim("the purchase was refunded", said("refunded")),
  grantedAccess: claim("access was granted without payment", said("grantedAccess", SAID_OR_SOON)),
  otherCustomer: literalClaim("another customer's address", /bob@example\.com/i),
  pastDue: claim("the latest payment failed", lastPaymentIs("failed")),
  keepsAccess: claim("access continues", anyOf(said("keepsAccess", SAID_OR_SOON), said("keepsAccessUntil", SAID_OR_SOON))),
  refundMentioned: claim("mentions a refund", said("refundMention", ANY_MOOD)),
} as const;
