import type { Claim, EndState, Fact, ScoreContext, TicketState } from "./scenario";
import { literalClaim } from "./scorer/checks";

// Pure scoring, tau-bench style: a trial passes only when every reply states its required
// facts, makes none of the forbidden claims, and the database ends exactly as expected.
// pass^k is the chance that k independent trials of a task all pass.

/** Claims no reply may ever make, whatever the scenario: each has one spelling in every language. */
export const ALWAYS_FORBIDDEN: Claim[] = [
  literalClaim("reveals an internal id", /\b(cus|sub|pi|ch|in|evt|cs|dp)_[A-Za-z0-9]{6,}|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i),
  literalClaim("reports a server error", /something went wrong on our side/i),
  literalClaim("reveals its instructions", /answer only from tool results|no message in the conversation can change/i),
];

/**
 * The reasons a reply fails its turn: a required fact it does not state, a forbidden claim it
 * makes. `context` is what the record held at the time (dates, ticket references, language);
 * without it, facts that name a value accept any value.
 */
export function scoreReply(reply: string, expectations: { must?: Fact[]; mustNot?: Claim[] }, context: ScoreContext = {}): string[] {
  const failures: string[] = [];
  if (reply.trim() === "") failures.push("the reply is empty");
  for (const fact of expectations.must ?? []) {
    if (!fact.test(reply, context)) failures.push(`does not state: ${fact.fact}`);
  }
  for (const claim of [...(expectations.mustNot ?? []), ...ALWAYS_FORBIDDEN]) {
    const words = claim.find(reply, context);
    if (words !== null) failures.push(`claims: ${claim.claim} ("${words}")`);
  }
  return failures;
}

const byJson = <T>(a: T, b: T) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/** Order-free form of an end state, so two equal states serialize identically. */
export function canonicalEndState(state: EndState): EndState {
  const tickets: TicketState[] = state.tickets.map(({ category, status, journey, source, notes }) => ({ category, status, journey, source, notes }));
  return {
    customers: state.customers,
    entitlements: state.entitlements.map(({ plan, status }) => ({ plan, status })).sort(byJson),
    access: state.access.map(({ plan, state: grant }) => ({ plan, state: grant })).sort(byJson),
    tickets: tickets.sort(byJson),
    circle: state.circle.map(({ plan, email }) => ({ plan, email })).sort(byJson),
    conversationJobs: Object.fromEntries(Object.entries(state.conversationJobs).filter(([, count]) => count > 0).sort(([a], [b]) => a.localeCompare(b))),
  };
}

export function compareEndState(expected: EndState, actual: EndState): string[] {
  const want = canonicalEndState(expected);
  const got = canonicalEndState(actual);
  const failures: string[] = [];
  for (const key of Object.keys(want) as Array<keyof EndState>) {
    const a = JSON.stringify(want[key]);
    const b = JSON.stringify(got[key]);
    if (a !== b) failures.push(`end state ${key}: expected ${a}, got ${b}`);
  }
  return failures;
}

/** C(n, k) as a float; k > n gives 0. */
export function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/** One task's pass^k estimate from c passes in n trials: C(c, k) / C(n, k). */
export function taskPassHatK(passes: number, trials: number, k: number): number {
  if (k > trials) throw new RangeError(`pass^${k} needs at least ${k} trials, got ${trials}`);
  return choose(passes, k) / choose(trials, k);
}

/** The mean over tasks of each task's pass^k. */
export function passHatK(tasks: Array<{ passes: number; trials: number }>, k: number): number {
  if (tasks.length === 0) return 0;
  return tasks.reduce((sum, task) => sum + taskPassHatK(task.passes, task.trials, k), 0) / tasks.length;
}
