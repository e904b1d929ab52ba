import type { Database } from "../db";
import type { AccessState, EmailStatus, EntitlementStatus, TagState } from "../lifecycle/states";
import type { RecordSnapshot } from "./classify";
import { deniedAccessKey, deniedTagKey } from "./classify";

// The record's side of a reconciliation, read in a handful of statements (no per-customer
// round trips): grants, tags, running entitlements, the provider ids linked to customers, and
// the admins' deny overrides.

export interface VersionedGrant {
  customerId: string;
  accessGroupId: number;
  state: AccessState;
  circleMemberId: number | null;
  version: number;
}

export interface VersionedTag {
  customerId: string;
  tagId: number;
  state: TagState;
  version: number;
}

export interface RecordRead extends RecordSnapshot {
  grants: VersionedGrant[];
  tags: VersionedTag[];
  customerCount: number;
  /** `${customerId}:group:${id}` and `${customerId}:tag:${id}` with a grant, revoke, tag or untag job still queued or running. */
  inFlight: ReadonlySet<string>;
}

export async function readRecordSnapshot(db: Database): Promise<RecordRead> {
  const [grants, tags, entitlements, refs, customers, denied, inFlight] = await Promise.all([
    db.sql<{ customerId: string; accessGroupId: number; state: AccessState; circleMemberId: string | null; version: number }>(
      `SELECT "customerId", "accessGroupId", state::text AS state, "circleMemberId", version FROM "AccessGrant"`,
    ),
    db.sql<{ customerId: string; tagId: number; state: TagState; version: number }>(`SELECT "customerId", "tagId", state::text AS state, version FROM "EmailTagState"`),
    db.sql<{ customerId: string; sourceId: string; status: EntitlementStatus }>(`SELECT "customerId", "sourceId", status::text AS status FROM "Entitlement"`),
    db.sql<{ provider: string; externalId: string; customerId: string }>(`SELECT provider::text AS provider, "externalId", "customerId" FROM "ExternalRef"`),
    db.sql<{ id: string; email: string; emailStatus: EmailStatus }>(`SELECT id, email, "emailStatus"::text AS "emailStatus" FROM "Customer" WHERE "mergedIntoId" IS NULL`),
    db.sql<{ customerId: string; scope: string; targetId: number }>(`SELECT "customerId", scope::text AS scope, "targetId" FROM "Override" WHERE effect = 'deny'`),
    db.sql<{ key: string }>(
      `SELECT DISTINCT payload->>'customerId' || CASE WHEN kind LIKE 'circle.%' THEN ':group:' || (payload->>'accessGroupId') ELSE ':tag:' || (payload->>'tagId') END AS key
         FROM "Job" WHERE status IN ('queued', 'running') AND kind IN ('circle.grant', 'circle.revoke', 'kit.tag', 'kit.untag')`,
    ),
  ]);
  const refsOf = (provider: string) => refs.filter((ref) => ref.provider === provider);
  return {
    grants: grants.map((grant) => ({ ...grant, circleMemberId: grant.circleMemberId === null ? null : Number(grant.circleMemberId) })),
    tags,
    entitlements,
    circleMembers: new Map(refsOf("circle").map((ref) => [Number(ref.externalId), ref.customerId])),
    kitSubscribers: new Map(refsOf("kit").map((ref) => [Number(ref.externalId), ref.customerId])),
    stripeCustomers: new Map(refsOf("stripe").filter((ref) => ref.externalId.startsWith("cus_")).map((ref) => [ref.externalId, ref.customerId])),
    customerByEmail: new Map(customers.map((customer) => [customer.email.trim().toLowerCase(), customer.id])),
    emailStatus: new Map(customers.map((customer) => [customer.id, customer.emailStatus])),
    denied: new Set(denied.map((row) => (row.scope === "access" ? deniedAccessKey(row.customerId, row.targetId) : deniedTagKey(row.customerId, row.targetId)))),
    customerCount: customers.length,
    inFlight: new Set(inFlight.map((row) => row.key)),
  };
}
