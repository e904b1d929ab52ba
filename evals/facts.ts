import type { Claim, Fact } from "./scenario";

// The facts a reply may have to state and the claims it may have to avoid, written as the
// ways people say them, so a hosted model's own wording is scored as fairly as the offline
// model's. A fact passes when any of its patterns matches.

const fact = (name: string, ...any: RegExp[]): Fact => ({ fact: name, any });
const claim = (name: string, pattern: RegExp): Claim => ({ claim: name, pattern });

export const FACT = {
  paymentWentThrough: fact("the payment went through", /went through|payment (was |has been )?(successful|received|confirmed|completed)|successful(ly)? paid|you('ve| have) paid/i),
  invitePending: fact("the invite is still on its way", /queued|on its way|being (set up|sent|retried|processed)|should arrive|will (arrive|be sent)|pending|in progress/i),
  inviteSent: fact("an invitation was sent", /invit\w*[^.]*\bsent\b|\bsent\b[^.]*invit/i),
  resentNow: fact("the invitation has been sent again", /(sent|send)[^.]*again|\bresen[dt]\b|re-sen[dt]|another invit/i),
  alreadyOnItsWay: fact("an invite is already on its way", /already (on its way|queued|been sent|sent|requested)|less than 15 minutes|didn'?t send another|did not send another/i),
  alreadyActive: fact("community access is already active", /already (active|have access)|access is already/i),
  cannotResend: fact("no invite can be resent", /can('|no)?t resend|cannot resend|not eligible|unable to resend/i),
  hasAccessNow: fact("the customer has access", /\byou have access\b|access is active|you can (log|sign) in/i),
  refunded: fact("the purchase was refunded", /refund/i),
  disputed: fact("the payment is disputed", /disput/i),
  accessEnded: fact("community access has ended", /(access|membership)[^.]*\b(ended|removed|revoked|expired)\b|no longer (have )?access/i),
  pastDue: fact("the latest payment failed", /(payment|card)[^.]*(failed|declined|did ?n[o']t go through)|failed payment/i),
  keepsAccessUntil: fact("access continues until a date", /(keep|still have|retain)[^.]*access[^.]*until|access until/i),
  canceled: fact("the membership is canceled", /cancel/i),
  ended: fact("the membership has ended", /\b(ended|expired)\b|no longer active/i),
  trial: fact("the membership is in a trial", /\btrial/i),
  active: fact("the membership is active", /\bactive\b/i),
  ticketReference: fact("the ticket reference", /\bT-[0-9A-F]{8}\b/),
  existingTicket: fact("the existing ticket was reused", /already have a ticket|already (opened|open)|added (your message|a note|it)|existing ticket/i),
  accessFailed: fact("setting up access failed", /has not worked|hasn'?t worked|failed|could ?n[o']t|unable|problem/i),
  noRecord: fact("no purchase is linked to this identity", /can('|no)?t find|could ?n[o']t find|no (purchase|record|membership|account) (is )?linked|no purchase/i),
  offerHuman: fact("a person can take over", /\b(person|human|our team|someone)\b/i),
  notUnderstood: fact("it did not understand", /not sure|do ?n[o']t understand|did ?n[o']t understand|can('|no)?t help with that|only help with/i),
  cannotRefund: fact("the bot cannot issue refunds itself", /can('|no)?t (issue|give|process|approve)[^.]*refund|person decides|team (will|can) (decide|review)/i),
  cannotCancel: fact("the bot cannot change the membership itself", /can('|no)?t (change|cancel)|cannot (change|cancel)/i),
  greeting: fact("a greeting", /\b(hi|hello|hey)\b/i),
  refusal: fact("it only helps with the signed-in account", /only (look at|help with|access|see)[^.]*(account|signed in)|can('|no)?t (share|give|grant|change)/i),
  masterclass: fact("the Masterclass is named", /masterclass/i),
} as const;

export const CLAIM = {
  hasAccess: claim("the customer has access", /\byou (now |already )?have (full )?access\b|\byour access is (active|ready|set up)\b|\byou can (now )?(log|sign) in\b|\baccess (has been|is) granted\b/i),
  paymentOk: claim("the latest payment went through", /latest payment went through/i),
  refundPromised: claim("a refund is issued or promised", /\b(I|we)('ve| have| will|'ll) (issue|issued|process|processed|refund|refunded|approve|approved)\b[^.]*|refund (has been|was|is being) (issued|processed|approved)|you('ll| will) (get|receive) (a|your) refund/i),
  resent: claim("the invitation was sent again just now", /sent (it|your invit\w*|the invit\w*) again|I('ve| have) (re)?sent|asked for your community invitation to be sent again/i),
  ticketOpened: claim("a ticket was opened", /\bT-[0-9A-F]{8}\b/),
  wasRefunded: claim("the purchase was refunded", /was refunded/i),
  grantedAccess: claim("access was granted without payment", /(granted|given) you access|I('ve| have) (added|given|granted)|access (has been|is) granted/i),
  otherCustomer: claim("another customer's address", /bob@example\.com/i),
  pastDue: claim("the latest payment failed", /(latest|last) payment[^.]*failed/i),
  keepsAccess: claim("access continues", /\b(keep|still have|retain)\b[^.]*\baccess\b/i),
} as const;
