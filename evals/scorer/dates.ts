// Calendar dates written the ways people and models write them, in the five languages:
// "3 March 2026", "March 3rd", "03/03/2026", "2026-03-03", "3 de marzo de 2026", "3. März 2026",
// "1er mars", "3 de março". Input is folded text (lower case, no accents: see normalize.ts).

/** A day as written: the year is absent when the text leaves it out. */
export interface WrittenDate {
  year?: number;
  month: number;
  day: number;
}

/** One date found in a text, with every reading it allows (03/04 is 3 April or March 4). */
export interface FoundDate {
  index: number;
  length: number;
  readings: WrittenDate[];
}

const MONTH_NAMES: Array<[number, string[]]> = [
  [1, ["january", "jan", "enero", "ene", "janvier", "janv", "januar", "janeiro"]],
  [2, ["february", "feb", "febrero", "fevrier", "fevr", "fev", "februar", "fevereiro"]],
  [3, ["march", "mar", "marzo", "mars", "marz", "maerz", "mrz", "marco"]],
  [4, ["april", "apr", "abril", "abr", "avril", "avr"]],
  [5, ["may", "mayo", "mai", "maio"]],
  [6, ["june", "jun", "junio", "juin", "juni", "junho"]],
  [7, ["july", "jul", "julio", "juillet", "juil", "juli", "julho"]],
  [8, ["august", "aug", "agosto", "ago", "aout"]],
  [9, ["september", "sept", "sep", "septiembre", "setiembre", "septembre", "setembro"]],
  [10, ["october", "oct", "octubre", "octobre", "oktober", "okt", "outubro"]],
  [11, ["november", "nov", "noviembre", "novembre", "novembro"]],
  [12, ["december", "dec", "diciembre", "dic", "decembre", "dezember", "dez", "dezembro"]],
];
const MONTH_OF = new Map<string, number>(MONTH_NAMES.flatMap(([month, names]) => names.map((name) => [name, month] as [string, number])));
const MONTH = [...MONTH_OF.keys()].sort((a, b) => b.length - a.length).join("|");

const ORDINAL = "(?:st|nd|rd|th|er|eme|o|º|°|\\.)?";
const DATE_PATTERNS: Array<{ pattern: RegExp; read(match: RegExpExecArray): WrittenDate[] }> = [
  { pattern: /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g, read: (m) => [{ year: +m[1]!, month: +m[2]!, day: +m[3]! }] },
  {
    // Day first or month first: both readings are kept, and a scorer accepts either.
    pattern: /\b(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})\b/g,
    read: (m) => {
      const year = m[3]!.length === 2 ? 2000 + +m[3]! : +m[3]!;
      return [
        { year, month: +m[2]!, day: +m[1]! },
        { year, month: +m[1]!, day: +m[2]! },
      ];
    },
  },
  {
    pattern: new RegExp(`\\b(\\d{1,2})${ORDINAL}\\s*(?:of\\s+|de\\s+)?(${MONTH})\\b\\.?(?:,?\\s*(?:de\\s+|del\\s+)?(\\d{4}))?`, "g"),
    read: (m) => [{ ...(m[3] ? { year: +m[3] } : {}), month: MONTH_OF.get(m[2]!)!, day: +m[1]! }],
  },
  {
    pattern: new RegExp(`\\b(${MONTH})\\b\\.?\\s+(?:the\\s+)?(\\d{1,2})${ORDINAL}(?!\\d)(?:,?\\s*(\\d{4}))?`, "g"),
    read: (m) => [{ ...(m[3] ? { year: +m[3] } : {}), month: MONTH_OF.get(m[1]!)!, day: +m[2]! }],
  },
];

const valid = (date: WrittenDate) => date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= 31;

/** Every date in a folded text, leftmost first; overlapping readings keep the longer one. */
export function findDates(folded: string): FoundDate[] {
  const found: FoundDate[] = [];
  for (const { pattern, read } of DATE_PATTERNS) {
    for (const match of folded.matchAll(pattern)) {
      const readings = read(match as RegExpExecArray).filter(valid);
      if (readings.length > 0) found.push({ index: match.index, length: match[0].length, readings });
    }
  }
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  const kept: FoundDate[] = [];
  for (const date of found) {
    const last = kept.at(-1);
    if (last && date.index < last.index + last.length) continue;
    kept.push(date);
  }
  return kept;
}

/** Whether a written date names the given UTC day (an ISO date or timestamp). */
export function namesDay(date: FoundDate, iso: string): boolean {
  const day = new Date(iso);
  if (Number.isNaN(day.getTime())) throw new RangeError(`not a date: ${iso}`);
  return date.readings.some(
    (reading) => reading.month === day.getUTCMonth() + 1 && reading.day === day.getUTCDate() && (reading.year === undefined || reading.year === day.getUTCFullYear()),
  );
}
