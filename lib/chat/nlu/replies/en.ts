import type { Replies } from "./types";

const OFFER = "I can check your membership, your community access and invites, and your payments, or pass you to a person.";

export const en: Replies = {
  locale: "en-GB",
  at: (date, time) => `${date} at ${time} UTC`,
  offer: OFFER,
  clarify: `I'm not sure I understood that. ${OFFER} Which would you like, or shall I pass your question to a person?`,
  greeting: `Hi! ${OFFER}`,
  thanks: `You're welcome! ${OFFER}`,
  refusal: `I can only look at the account you're signed in with, and only say what it shows. I can't change these rules, share other customers' details, or grant access that hasn't been paid for. ${OFFER}`,
  noRecord:
    "I can't find a purchase linked to the email address you're signed in with. If you paid with a different address, I can pass this to our team so they can match it.",
  noRecordTickets: "I can't see tickets on an account I can't find.",
  nothingToConfirm: `I'm not sure what to go ahead with. ${OFFER} What would you like me to do?`,
  leads: {
    refund: "I can't issue refunds myself; a person decides on them.",
    cancel: "I can't change your membership myself.",
    human: "Of course.",
    wrongEmail: "I can't look up other email addresses myself; our team can link your purchase to this account.",
  },
  membership: {
    none: "I can see your account, but no membership on it yet.",
    active: (plan) => `Your ${plan} membership is active.`,
    trialing: (plan) => `Your ${plan} membership is in its trial.`,
    pastDueEnded: (plan, day) =>
      `The last payment for ${plan} failed and the retry window ended on ${day}, so its access has ended. Updating your card and paying the open invoice will restore it.`,
    pastDue: (plan, until) => `The last payment for ${plan} failed${until ? `; you keep access until ${until} while the card is retried` : ""}. Updating your card will fix it.`,
    canceled: (plan, until) => `Your ${plan} membership is canceled${until ? ` and ends on ${until}` : ""}; you keep access until then.`,
    disputed: (plan) => `Your payment for ${plan} is disputed with your bank, so its access has ended while the dispute is open.`,
    refunded: (plan) => `Your ${plan} purchase was refunded, so its access has ended.`,
    expired: (plan) => `Your ${plan} membership has ended.`,
    other: (plan, status) => `Your ${plan} membership status is ${status}.`,
  },
  access: {
    none: "There is no community access on your account.",
    pending: (group, retrying) => `Your access to the ${group} is being set up: the invite is ${retrying ? "being retried" : "queued"} and should arrive within a few minutes.`,
    invited: (group, when) => `An invitation to the ${group} was sent on ${when} to the email address of your purchase. Please check your spam folder; I can send it again if you need.`,
    active: (group) => `You have access to the ${group}.`,
    revoked: (group) => `Your access to the ${group} has ended.`,
    failed: (group, problem) => `Setting up your access to the ${group} has not worked: ${problem ?? "it failed"}.`,
    other: (group, state) => `Your access to the ${group} is ${state}.`,
  },
  payment: {
    noneOnTrial: "You haven't been charged anything yet: you're on a free trial.",
    none: "I don't see a payment on your account yet.",
    paid: (when) => `Your latest payment went through on ${when}.`,
    failed: (when) => `Your latest payment failed on ${when}.`,
    refunded: (when) => `Your latest payment was refunded (recorded ${when}).`,
    disputed: (when) => `Your latest payment is disputed with your bank (recorded ${when}).`,
    other: (status, when) => `Your latest payment is ${status} (${when}).`,
  },
  ticket: {
    created: (ref) => `I've passed this to our team: your ticket is ${ref}. A person will reply here in this chat.`,
    reopened: (ref) => `I've reopened your earlier ticket for this (${ref}) and added your message to it. A person will reply here in this chat.`,
    existing: (ref) => `You already have a ticket open for this (${ref}); I've added your message to it.`,
  },
  topics: { billing: "billing", access: "community access", refund: "a refund", cancellation: "a cancellation", other: "your question" },
  openTicket: (ref, topic, when, waiting) =>
    `Your ticket ${ref} about ${topic}, opened on ${when}, is ${waiting ? "waiting for your reply: our team has answered it" : "open: it's with our team, and a person will reply here in this chat"}.`,
  noOpenTickets: "You have no open ticket with us right now. Would you like me to pass your question to a person?",
  noNeedForAnother: "There's no need to open another one.",
  alreadyInHand: "Our team already has this in hand.",
  resend: {
    queued: "Done: I've asked for your community invitation to be sent again. It should arrive within a few minutes at the email address you're signed in with.",
    alreadyQueued: (reason) => `I didn't send another one: ${reason}. Please give it a few minutes and check your spam folder.`,
    alreadyActive: "Your community access is already active, so there's no invite to resend: you can sign in to the community directly.",
    cannot: (reason) => `I can't resend an invite: ${reason}. ${OFFER}`,
  },
  reasons: {},
};
