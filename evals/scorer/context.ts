import type { GetEntitlementOutput } from "../../tools/getEntitlement";
import type { ScoreContext } from "../scenario";

// The values a reply's facts are checked against, taken from the bot's own view of the record
// (the getEntitlement tool's output): the dates access lasts until and the customer's ticket
// references (with no customer record, those the signed-in identity opened itself).

/** Pure: the score context of an entitlement view. */
export function contextFromView(view: GetEntitlementOutput, language?: string): ScoreContext {
  if (!view.found) return { ...(language ? { language } : {}), ticketReferences: view.openTickets.map((ticket) => ticket.reference) };
  const accessUntil = view.entitlements.flatMap((entitlement) => (entitlement.accessUntil ? [entitlement.accessUntil] : []));
  return {
    ...(language ? { language } : {}),
    accessUntil,
    ticketReferences: view.openTickets.map((ticket) => ticket.reference),
  };
}
