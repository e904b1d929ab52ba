import type { ExpectedCustomer, GrantOutcome, TagOutcome } from "./oracle";

// Pure. One customer's end state as the run left it (the record, Circle, Kit) against the
// oracle's: every difference, each named by where it is, and the side effects done more
// often than the in-order replay did them.

export interface ObservedCustomer {
  /** Null: no record holds the customer's Stripe id. */
  record: {
    email: string;
    entitlements: Array<{ sourceId: string; planKey: string; status: string }>;
    /** Access grant rows: access group id -> state as stored. */
    grants: Map<number, string>;
    /** Kit tag rows: tag id -> state as stored. */
    tags: Map<number, string>;
  } | null;
  /** Circle members under any of the customer's addresses. */
  circleMembers: Array<{ email: string; accessGroupIds: number[] }>;
  /** Kit subscribers under any of the customer's addresses. */
  kitSubscribers: Array<{ email: string; tagIds: number[]; tagAdds: Map<number, number> }>;
}

export interface Verdict {
  /** Where the record or a provider differs from the oracle. */
  differences: string[];
  /** Side effects a provider saw more often than in-order delivery would have caused. */
  duplicates: string[];
}

const GRANT_OUTCOME: Record<string, GrantOutcome | undefined> = { pending: "held", invited: "held", active: "held", revoked: "revoked" };
const TAG_OUTCOME: Record<string, TagOutcome | undefined> = { applied: "applied", removed: "removed" };

const sortedList = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b).join(",") || "none";

function compareRows(what: string, expected: Map<number, string>, observed: Map<number, string>, outcome: Record<string, string | undefined>): string[] {
  const differences: string[] = [];
  for (const id of new Set([...expected.keys(), ...observed.keys()])) {
    const want = expected.get(id);
    const stored = observed.get(id);
    const got = stored === undefined ? undefined : (outcome[stored] ?? stored);
    if (want !== got) differences.push(`record: ${what} ${id} is ${stored ?? "absent"}, expected ${want ?? "absent"}`);
  }
  return differences;
}

export function compareCustomer(expected: ExpectedCustomer, observed: ObservedCustomer): Verdict {
  const differences: string[] = [];
  const duplicates: string[] = [];
  const { record } = observed;
  if (!record) {
    differences.push(`record: no customer holds ${expected.stripeCustomerId}`);
  } else {
    if (record.email !== expected.email) differences.push(`record: email is ${record.email}, expected ${expected.email}`);
    const entitlements = (list: ExpectedCustomer["entitlements"]) =>
      [...list]
        .sort((a, b) => a.sourceId.localeCompare(b.sourceId))
        .map((e) => `${e.sourceId}=${e.planKey}:${e.status}`)
        .join(" ") || "none";
    if (entitlements(record.entitlements) !== entitlements(expected.entitlements)) {
      differences.push(`record: entitlements are ${entitlements(record.entitlements)}, expected ${entitlements(expected.entitlements)}`);
    }
    differences.push(...compareRows("access group", expected.grants, record.grants, GRANT_OUTCOME));
    differences.push(...compareRows("tag", expected.tags, record.tags, TAG_OUTCOME));
  }

  const groupsHeld = [...expected.grants].filter(([, outcome]) => outcome === "held").map(([id]) => id);
  const inCircle = observed.circleMembers.flatMap((member) => member.accessGroupIds);
  if (sortedList(new Set(inCircle)) !== sortedList(groupsHeld)) differences.push(`circle: in access groups ${sortedList(new Set(inCircle))}, expected ${sortedList(groupsHeld)}`);
  if (observed.circleMembers.length > 1) duplicates.push(`circle: ${observed.circleMembers.length} members (${observed.circleMembers.map((m) => m.email).join(", ")}), each invited`);

  const tagsApplied = [...expected.tags].filter(([, outcome]) => outcome === "applied").map(([id]) => id);
  const subscriber = observed.kitSubscribers.find((candidate) => candidate.email === expected.email);
  const heldTags = observed.kitSubscribers.flatMap((candidate) => candidate.tagIds.map((tagId) => ({ email: candidate.email, tagId })));
  if (tagsApplied.length > 0 && !subscriber) differences.push(`kit: no subscriber ${expected.email}`);
  if (sortedList(subscriber?.tagIds ?? []) !== sortedList(tagsApplied)) {
    differences.push(`kit: ${expected.email} holds tags ${sortedList(subscriber?.tagIds ?? [])}, expected ${sortedList(tagsApplied)}`);
  }
  const stale = heldTags.filter((held) => held.email !== expected.email);
  if (stale.length > 0) differences.push(`kit: tags held under an old address: ${stale.map((held) => `${held.tagId}@${held.email}`).join(", ")}`);
  if (observed.kitSubscribers.length > 1) duplicates.push(`kit: ${observed.kitSubscribers.length} subscribers (${observed.kitSubscribers.map((s) => s.email).join(", ")})`);
  const adds = new Map<number, number>();
  for (const candidate of observed.kitSubscribers) for (const [tagId, count] of candidate.tagAdds) adds.set(tagId, (adds.get(tagId) ?? 0) + count);
  for (const [tagId, count] of adds) {
    const inOrder = expected.tagAdds.get(tagId) ?? 0;
    if (count > inOrder) duplicates.push(`kit: tag ${tagId} added ${count} times, ${inOrder} in order`);
  }
  return { differences, duplicates };
}
