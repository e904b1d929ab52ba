// Everything the offline model says, per language: fixed sentences and sentences built from
// what the tools returned (plan and group names, dates, ticket references), never more.

export type TicketTopic = "billing" | "access" | "refund" | "cancellation" | "other";

export interface Replies {
  /** BCP 47 locale for dates. */
  locale: string;
  /** "{date} at {time} UTC" */
  at(date: string, time: string): string;
  offer: string;
  /** Not understood, or not sure: the one question, with the choices it can do. */
  clarify: string;
  greeting: string;
  thanks: string;
  refusal: string;
  noRecord: string;
  noRecordTickets: string;
  /** "yes" with nothing offered before. */
  nothingToConfirm: string;
  leads: { refund: string; cancel: string; human: string; wrongEmail: string };
  membership: {
    none: string;
    active(plan: string): string;
    trialing(plan: string): string;
    pastDueEnded(plan: string, day: string): string;
    pastDue(plan: string, until: string | null): string;
    canceled(plan: string, until: string | null): string;
    disputed(plan: string): string;
    refunded(plan: string): string;
    expired(plan: string): string;
    other(plan: string, status: string): string;
  };
  access: {
    none: string;
    pending(group: string, retrying: boolean): string;
    invited(group: string, when: string): string;
    active(group: string): string;
    revoked(group: string): string;
    failed(group: string, problem: string | null): string;
    other(group: string, state: string): string;
  };
  payment: {
    noneOnTrial: string;
    none: string;
    paid(when: string): string;
    failed(when: string): string;
    refunded(when: string): string;
    disputed(when: string): string;
    other(status: string, when: string): string;
  };
  ticket: { created(ref: string): string; reopened(ref: string): string; existing(ref: string): string };
  topics: Record<TicketTopic, string>;
  openTicket(ref: string, topic: string, when: string, waitingForCustomer: boolean): string;
  noOpenTickets: string;
  noNeedForAnother: string;
  alreadyInHand: string;
  resend: { queued: string; alreadyQueued(reason: string): string; alreadyActive: string; cannot(reason: string): string };
  /** The resend tool's reasons (English, from lib/record/resend.ts) in this language; unknown ones pass through. */
  reasons: Record<string, string>;
}
