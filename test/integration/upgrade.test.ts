import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../lib/db";
import { migrate, readMigrations } from "../../lib/migrations";
import { getCustomerRecord } from "../../lib/record/read";
import { postgresAdminUrl, testDbKind } from "../../lib/sandbox/database";
import { startStack } from "../../lib/sandbox/stack";

// Upgrades: a database built at each earlier migration (prisma/migrations, applied by
// lib/migrations.ts), holding real rows written with the SQL of that time (customers, refs,
// entitlements, grants, tags, events, jobs, journeys, tickets, audit), upgraded to the latest:
// nothing is lost and the record still reads. And a worker that meets a job it does not know
// (a newer version's kind or payload) dead-letters it instead of misapplying it.

const migrations = readMigrations();
const temporaryDirs: string[] = [];
afterAll(() => temporaryDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A migrations folder holding the first `count` migrations only: the schema of that version. */
function migrationsUpTo(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "entitled-migrations-"));
  temporaryDirs.push(dir);
  for (const migration of migrations.slice(0, count)) {
    fs.mkdirSync(path.join(dir, migration.name));
    fs.writeFileSync(path.join(dir, migration.name, "migration.sql"), migration.sql);
  }
  return dir;
}

let sharedPglite: Promise<Database> | undefined;
afterAll(async () => (await sharedPglite)?.close());

/** An empty database of the TEST_DB kind, and how to drop it. */
async function emptyDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (testDbKind === "pglite") {
    // One embedded database for every case (starting one is the slow part), emptied to no schema at all.
    sharedPglite ??= openDatabase({ dataDir: "memory://" });
    const db = await sharedPglite;
    await db.script(`DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;`);
    return { db, drop: async () => undefined };
  }
  const name = `entitled_upgrade_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  return {
    db,
    async drop() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: postgresAdminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

const CUSTOMER = "cust-upgrade-1";
const EMAIL = "upgrade@example.com";

// Rows as the first version wrote them: only columns the first migration has, so the same
// statements are valid at every later one (columns added since have defaults or are nullable).
const DATASET = `
INSERT INTO "Customer" (id, email, name, "updatedAt") VALUES ('${CUSTOMER}', '${EMAIL}', 'Ada Upgrade', now());
INSERT INTO "ExternalRef" (id, provider, "externalId", "customerId") VALUES ('ref-1', 'stripe', 'cus_upgrade', '${CUSTOMER}'), ('ref-2', 'circle', '4242', '${CUSTOMER}');
INSERT INTO "Entitlement" (id, "customerId", "planKey", status, "sourceId", "accessUntil", "lastPaymentAt", "lastPaymentStatus", "lastEventAt", "updatedAt")
  VALUES ('ent-1', '${CUSTOMER}', 'community_monthly', 'active', 'sub_upgrade', '2027-01-01T00:00:00Z', '2026-11-01T00:00:00Z', 'paid', '2026-11-01T00:00:00Z', now());
INSERT INTO "AccessGrant" (id, "customerId", "accessGroupId", state, "circleMemberId", "memberEmail", version, "updatedAt")
  VALUES ('grant-1', '${CUSTOMER}', 101, 'active', '4242', '${EMAIL}', 1, now());
INSERT INTO "EmailTagState" (id, "customerId", "tagId", state, version, "updatedAt") VALUES ('tag-1', '${CUSTOMER}', 4001, 'applied', 1, now()), ('tag-2', '${CUSTOMER}', 4002, 'applied', 1, now());
INSERT INTO "WebhookEvent" (id, provider, "eventId", type, "providerCreatedAt", outcome, payload, "customerId", "processedAt")
  VALUES ('evt-row-1', 'stripe', 'evt_upgrade_1', 'checkout.session.completed', '2026-11-01T00:00:00Z', 'applied', '{"id":"evt_upgrade_1","type":"checkout.session.completed"}', '${CUSTOMER}', now());
INSERT INTO "Journey" (id, "customerId", kind, key, "startedAt") VALUES ('journey-1', '${CUSTOMER}', 'purchase', 'sub_upgrade', '2026-11-01T00:00:00Z');
INSERT INTO "Job" (id, kind, payload, "dedupeKey", status, attempts, "customerId", "updatedAt", "finishedAt")
  VALUES ('job-1', 'circle.grant', '{"customerId":"${CUSTOMER}","accessGroupId":101,"version":1}', 'circle.grant:${CUSTOMER}:101:1', 'succeeded', 1, '${CUSTOMER}', now(), now());
INSERT INTO "Ticket" (id, "customerId", identity, "journeyId", category, summary, source, "dedupeKey", "updatedAt")
  VALUES ('ticket-1', '${CUSTOMER}', '${EMAIL}', 'journey-1', 'access', 'Paid but cannot log in to Circle', 'chat', '${EMAIL}:journey-1:access', now());
INSERT INTO "TicketNote" (id, "ticketId", body, source) VALUES ('note-1', 'ticket-1', 'I paid yesterday and still have no invite.', 'chat');
INSERT INTO "AuditLog" (id, actor, action, reason, "customerId") VALUES ('audit-1', 'system', 'entitlement.changed', 'first purchase', '${CUSTOMER}');
`;

/** What must survive an upgrade, read with columns every version has. */
async function survivingRows(db: Database) {
  const read = (sql: string) => db.sql<Record<string, unknown>>(sql);
  return {
    customers: await read(`SELECT id, email, name, "emailStatus"::text FROM "Customer" ORDER BY id`),
    refs: await read(`SELECT id, provider::text, "externalId", "customerId" FROM "ExternalRef" ORDER BY id`),
    entitlements: await read(`SELECT id, "planKey", status::text, "sourceId", "accessUntil", "lastPaymentStatus" FROM "Entitlement" ORDER BY id`),
    grants: await read(`SELECT id, "accessGroupId", state::text, "circleMemberId", version FROM "AccessGrant" ORDER BY id`),
    tags: await read(`SELECT id, "tagId", state::text, version FROM "EmailTagState" ORDER BY id`),
    events: await read(`SELECT id, "eventId", type, outcome::text, payload FROM "WebhookEvent" ORDER BY id`),
    journeys: await read(`SELECT id, kind::text, key, "startedAt", "endedAt" FROM "Journey" ORDER BY id`),
    jobs: await read(`SELECT id, kind, payload, "dedupeKey", status::text, attempts FROM "Job" ORDER BY id`),
    tickets: await read(`SELECT id, category, status::text, summary, "journeyId" FROM "Ticket" ORDER BY id`),
    notes: await read(`SELECT id, body FROM "TicketNote" ORDER BY id`),
    audit: await read(`SELECT id, actor, action, reason FROM "AuditLog" ORDER BY id`),
  };
}

describe("upgrading a database that holds data", () => {
  it.each(migrations.slice(0, -1).map((migration, index) => [migration.name, index + 1] as const))(
    "built at %s, with customers, events, jobs and tickets in it, upgrades to the latest losing nothing",
    async (_name, count) => {
      const { db, drop } = await emptyDatabase();
      try {
        expect(await migrate(db, migrationsUpTo(count))).toHaveLength(count);
        await db.script(DATASET);
        const before = await survivingRows(db);
        expect(before.customers).toHaveLength(1);

        const ran = await migrate(db);
        expect(ran).toEqual(migrations.slice(count).map((migration) => migration.name));
        expect(await survivingRows(db)).toEqual(before);
        // The current code reads the upgraded record.
        const record = await getCustomerRecord(db, CUSTOMER);
        expect(record?.entitlements).toMatchObject([{ plan: "community_monthly", status: "active" }]);
        expect(record?.tickets).toMatchObject([{ category: "access", status: "open" }]);
        // Upgrading again does nothing.
        expect(await migrate(db)).toEqual([]);
      } finally {
        await drop();
      }
    },
  );
});

describe("a worker of the previous version meeting a newer job", () => {
  it.each([
    ["a kind it does not know", "circle.grant_v2", { customerId: "c", accessGroupId: 101, version: 1 }],
    ["a known kind whose payload changed shape", "circle.grant", { customer: { id: "c" }, groups: [101], v: 2 }],
    ["a known kind whose payload lost a field", "kit.tag", { customerId: "c", version: 1 }],
  ])("dead-letters %s without calling any provider", async (_case, kind, payload) => {
    const stack = await startStack();
    try {
      await stack.db.sql(
        `INSERT INTO "Job" (id, kind, payload, "dedupeKey", status, "updatedAt", "maxAttempts") VALUES (gen_random_uuid(), $1, $2::jsonb, $3, 'queued', now(), 3) RETURNING id`,
        [kind, JSON.stringify(payload), `newer:${kind}:${crypto.randomUUID()}`],
      );
      await stack.drain();
      const [job] = await stack.db.sql<{ status: string; lastError: string | null }>(`SELECT status::text, "lastError" FROM "Job" WHERE kind = $1`, [kind]);
      expect(job?.status).toBe("dead");
      expect(job?.lastError).toBeTruthy();
      expect(stack.circle.requests()).toEqual([]);
      expect(stack.kit.requests()).toEqual([]);
      expect((await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "AccessGrant"`))[0]!.n).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});
