// The launch doctor's vocabulary: every check answers one of these, with the fix in plain words.

/** fail: a must-have is wrong (the doctor exits non-zero); warn: should be fixed; skip: a check it depends on failed. */
export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckItem {
  /** What the item is about: a variable, an event type, a tag id. */
  name: string;
  problem: string;
  fix: string;
}

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, in one line. */
  detail: string;
  /** What to do, in plain words (fail and warn). */
  fix?: string;
  /** Individual problems (a missing variable each). */
  items?: CheckItem[];
}

/** The raw environment the doctor reads (process.env in the command). */
export type EnvSource = Record<string, string | undefined>;

export const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: "pass", detail });
export const fail = (id: string, title: string, detail: string, fix: string, items?: CheckItem[]): CheckResult => ({
  id,
  title,
  status: "fail",
  detail,
  fix,
  ...(items ? { items } : {}),
});
export const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: "warn", detail, fix });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: "skip", detail });

/** A variable's value, blank as unset (what parseEnv does too). */
export function read(source: EnvSource, key: string): string | undefined {
  const value = source[key]?.trim();
  return value ? value : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
