import { expect } from "vitest";
import { findCustomerId } from "../../lib/record/read";
import type { Stack } from "../../lib/sandbox/stack";

// Shared by the order-*.test.ts regression tests: every order of a small set of events, each
// delivered through the real webhook handler, with the worker draining between deliveries or
// not (an apply job that ran before the next event arrived, or after all of them), and the
// customer's end state, which must not depend on any of that.

/** Every ordering of `items`. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

/** Every way to drain or not between n deliveries (the last one is always drained): 2^(n-1) patterns. */
export function drainPatterns(n: number): boolean[][] {
  const gaps = Math.max(0, n - 1);
  return Array.from({ length: 2 ** gaps }, (_, mask) => Array.from({ length: gaps }, (_, gap) => (mask & (1 << gap)) !== 0));
}

/** Delivers `events` in order through the Stripe handler, draining the worker where `drainAfter` says, and at the end. */
export async function deliver(stack: Stack, events: object[], drainAfter: boolean[] = []): Promise<void> {
  for (const [index, event] of events.entries()) {
    const response = await stack.postStripe(event);
    expect(response.status).toBe(200);
    if (drainAfter[index]) await drainOrExplain(stack);
  }
  await drainOrExplain(stack);
}

/** Drains the worker; a drain that does not finish fails with the jobs still open. */
async function drainOrExplain(stack: Stack): Promise<void> {
  try {
    await stack.drain(10_000);
  } catch (error) {
    const open = await stack.db.sql(`SELECT kind, status::text, attempts, "lastError", payload FROM "Job" WHERE status IN ('queued', 'running') AND "runAt" < now() + interval '10 seconds'`);
    throw new Error(`${String(error)}; open jobs: ${JSON.stringify(open)}`);
  }
}

/**
 * The customer's end state, without row ids, versions or times of writing: entitlements,
 * Circle grants and Kit tags (states), journeys, tickets, the ledger's outcomes, and what the
 * fake Circle and Kit hold for them.
 */
export async function endState(stack: Stack, email: string) {
  const customerId = await findCustomerId(stack.db, email);
  if (!customerId) throw new Error(`no customer ${email}`);
  const rows = (sql: string) => stack.db.sql<Record<string, unknown>>(sql, [customerId]);
  return {
    entitlements: await rows(
      `SELECT "sourceId", "planKey", status::text, "accessUntil", "graceUntil", "cancelAtPeriodEnd", "lastPaymentStatus" FROM "Entitlement" WHERE "customerId" = $1 ORDER BY "sourceId"`,
    ),
    grants: await rows(`SELECT "accessGroupId", state::text FROM "AccessGrant" WHERE "customerId" = $1 ORDER BY "accessGroupId"`),
    tags: await rows(`SELECT "tagId", state::text FROM "EmailTagState" WHERE "customerId" = $1 ORDER BY "tagId"`),
    journeys: await rows(`SELECT kind::text, key, "startedAt", "endedAt" FROM "Journey" WHERE "customerId" = $1 ORDER BY kind, key`),
    tickets: await rows(
      `SELECT category::text, status::text, source::text, journey.kind::text AS journey FROM "Ticket" ticket LEFT JOIN "Journey" journey ON journey.id = ticket."journeyId"
        WHERE ticket."customerId" = $1 ORDER BY category, journey.kind`,
    ),
    events: await rows(`SELECT type, outcome::text FROM "WebhookEvent" WHERE "customerId" = $1 ORDER BY type`),
    deadJobs: (await rows(`SELECT count(*)::int AS n FROM "Job" WHERE "customerId" = $1 AND status = 'dead'`))[0]!.n,
    circleGroups: [stack.ids.communityGroup, stack.ids.masterclassGroup].filter((group) => stack.circle.membersOf(group).includes(email)),
    kitTags: [...stack.kit.tagsOf(email)].sort((a, b) => a - b),
  };
}
