import type { HeldJourney } from "./changes";
import type { JourneyKind, OverrideEffect, OverrideScope } from "./states";

// Pure. What derivation takes from the record besides the events: an admin's standing
// decisions, applied on every fold whatever later events say. An access group or a tag is
// held (allow) or kept off (deny, a ban); the latest decision per target is the one held. A
// journey the record holds as ended stays ended: the fold only ever ends journeys (events fold
// in provider-time order, so a growing history never reopens an episode), so the only end this
// keeps that derivation would not repeat is an admin's.

export interface HeldOverride {
  scope: OverrideScope;
  /** The Circle access group id or the Kit tag id. */
  targetId: number;
  effect: OverrideEffect;
}

export interface Overrides {
  access: ReadonlyMap<number, OverrideEffect>;
  tags: ReadonlyMap<number, OverrideEffect>;
  /** When each journey the record holds as ended ended, by `journeyKey`. */
  endedJourneys: ReadonlyMap<string, Date>;
}

export const NO_OVERRIDES: Overrides = { access: new Map(), tags: new Map(), endedJourneys: new Map() };

/** A journey's identity: its kind and the provider object that started it. */
export const journeyKey = (kind: JourneyKind, key: string) => `${kind}:${key}`;

export function overridesOf(held: { overrides: readonly HeldOverride[]; journeys: readonly HeldJourney[] }): Overrides {
  const of = (scope: OverrideScope) => new Map(held.overrides.filter((row) => row.scope === scope).map((row) => [row.targetId, row.effect]));
  return {
    access: of("access"),
    tags: of("tag"),
    endedJourneys: new Map(
      held.journeys.flatMap((journey) => (journey.endedAt === null ? [] : [[journeyKey(journey.kind, journey.key), new Date(journey.endedAt)] as const])),
    ),
  };
}
