import type { Database } from "../db";
import type { CircleClient } from "../integrations/circle";

// Circle sends no webhooks, so changes made by hand in Circle reach the record only when we
// look. This reads an access group back and compares it with the record: who holds access in
// the record but is missing from the group, who is in the group without holding access (a
// refunded customer added back by hand), and who is in the group without being a customer of
// ours (staff, comps). It reports; it changes nothing in Circle or in the record.

export type GrantState = "pending" | "invited" | "active" | "revoked" | "failed";

export interface GrantInGroup {
  customerId: string;
  email: string;
  state: GrantState;
  circleMemberId: number | null;
}

export interface KnownMember {
  customerId: string;
  email: string;
}

export interface CircleDrift {
  /** The record says access was granted in Circle (invited or active); the group does not hold them. */
  missingInCircle: GrantInGroup[];
  /** In the group, and a customer of ours, but the record holds no access there: revoked, or never granted. */
  withoutEntitlement: Array<KnownMember & { circleMemberId: number; grantState: "revoked" | null }>;
  /** In the group, and linked to no customer of ours. */
  unknownMemberIds: number[];
}

/** States in which the record says Circle has the member in the group. */
const GRANTED_IN_CIRCLE: ReadonlySet<GrantState> = new Set(["invited", "active"]);

/**
 * Compares one access group's grants with the member ids Circle lists for it. Grants still on
 * their way (pending) or whose last try failed are the outbox's business, not drift.
 * `knownMembers` resolves member ids with no grant in this group to customers (other groups,
 * earlier purchases).
 */
export function compareCircleAccess(grants: GrantInGroup[], circleMemberIds: number[], knownMembers: ReadonlyMap<number, KnownMember>): CircleDrift {
  const inCircle = new Set(circleMemberIds);
  const grantByMember = new Map(grants.filter((grant) => grant.circleMemberId !== null).map((grant) => [grant.circleMemberId!, grant]));
  const drift: CircleDrift = { missingInCircle: [], withoutEntitlement: [], unknownMemberIds: [] };
  for (const grant of grants) {
    if (GRANTED_IN_CIRCLE.has(grant.state) && grant.circleMemberId !== null && !inCircle.has(grant.circleMemberId)) {
      drift.missingInCircle.push(grant);
    }
  }
  for (const memberId of inCircle) {
    const grant = grantByMember.get(memberId);
    if (grant) {
      if (grant.state === "revoked") drift.withoutEntitlement.push({ customerId: grant.customerId, email: grant.email, circleMemberId: memberId, grantState: "revoked" });
      continue;
    }
    const known = knownMembers.get(memberId);
    if (known) drift.withoutEntitlement.push({ ...known, circleMemberId: memberId, grantState: null });
    else drift.unknownMemberIds.push(memberId);
  }
  return drift;
}

export interface GroupDrift extends CircleDrift {
  accessGroupId: number;
  /** Members Circle listed in the group. */
  circleMembers: number;
  checkedAt: string;
}

/** Reads one access group from Circle and the record, and compares them. */
export async function readCircleDrift(db: Database, circle: CircleClient, accessGroupId: number, now = new Date()): Promise<GroupDrift> {
  const circleMemberIds = await circle.listAccessGroupMemberIds(accessGroupId);
  const rows = await db.sql<{ customerId: string; email: string; state: GrantState; circleMemberId: string | null }>(
    `SELECT g."customerId", c.email, g.state::text AS state, g."circleMemberId"
       FROM "AccessGrant" g JOIN "Customer" c ON c.id = g."customerId"
      WHERE g."accessGroupId" = $1`,
    [accessGroupId],
  );
  const grants = rows.map((row) => ({ ...row, circleMemberId: row.circleMemberId === null ? null : Number(row.circleMemberId) }));
  const granted = new Set(grants.map((grant) => grant.circleMemberId));
  const others = circleMemberIds.filter((id) => !granted.has(id)).map(String);
  const known = others.length
    ? await db.sql<{ externalId: string; customerId: string; email: string }>(
        `SELECT r."externalId", r."customerId", c.email
           FROM "ExternalRef" r JOIN "Customer" c ON c.id = r."customerId"
          WHERE r.provider = 'circle' AND r."externalId" = ANY($1::text[])`,
        [others],
      )
    : [];
  const knownMembers = new Map(known.map((row) => [Number(row.externalId), { customerId: row.customerId, email: row.email }]));
  return {
    accessGroupId,
    circleMembers: circleMemberIds.length,
    checkedAt: now.toISOString(),
    ...compareCircleAccess(grants, circleMemberIds, knownMembers),
  };
}
