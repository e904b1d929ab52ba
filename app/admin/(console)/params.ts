// Console pages take their filters from the URL query (GET forms): each value is kept only when
// it is one the page offers, so a hand-edited URL cannot reach the data layer with anything else.

export type SearchParams = Record<string, string | string[] | undefined>;

/** The query value if it is one of `choices`, else undefined. */
export function oneOf<const T extends string>(value: string | string[] | undefined, choices: readonly T[]): T | undefined {
  return typeof value === "string" && (choices as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** A UUID, as the records' ids are: a path or query value that is not one names nothing. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The query value trimmed, or undefined when it is missing or blank. */
export function text(value: string | string[] | undefined, max = 320): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim().slice(0, max);
  return trimmed === "" ? undefined : trimmed;
}
