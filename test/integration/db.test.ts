import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../lib/sandbox/database";

let testDb: TestDatabase;
beforeEach(async () => {
  testDb = await createTestDatabase();
});
afterEach(async () => {
  await testDb.drop();
});

const insertCustomer = (sql: TestDatabase["db"]["sql"], email: string) =>
  sql(`INSERT INTO "Customer" (id, email, "updatedAt") VALUES (gen_random_uuid(), $1, now()) RETURNING id`, [email]);
const emails = async () => (await testDb.db.sql<{ email: string }>(`SELECT email FROM "Customer" ORDER BY email`)).map((row) => row.email);

describe("database transactions", () => {
  it("commits what the function wrote once it resolves, and returns its result", async () => {
    const result = await testDb.db.transaction(async (tx) => {
      await insertCustomer(tx.sql, "a@example.com");
      await insertCustomer(tx.sql, "b@example.com");
      return "done";
    });
    expect(result).toBe("done");
    expect(await emails()).toEqual(["a@example.com", "b@example.com"]);
  });

  it("rolls back everything when the function throws, and the database stays usable", async () => {
    const failure = new Error("handler failed");
    await expect(
      testDb.db.transaction(async (tx) => {
        await insertCustomer(tx.sql, "a@example.com");
        throw failure;
      }),
    ).rejects.toBe(failure);
    // A failing statement aborts the transaction too.
    await expect(
      testDb.db.transaction(async (tx) => {
        await insertCustomer(tx.sql, "b@example.com");
        await insertCustomer(tx.sql, "b@example.com");
      }),
    ).rejects.toThrow();
    expect(await emails()).toEqual([]);
    await testDb.db.transaction((tx) => insertCustomer(tx.sql, "c@example.com"));
    expect(await emails()).toEqual(["c@example.com"]);
  });
});

describe("timestamps", () => {
  // The schema's DateTime columns have no time zone: a process outside UTC must still write
  // and read UTC instants (a retry's runAt, a lease), or jobs run hours early or late.
  it("writes and reads Date parameters as UTC whatever the process's time zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      const at = new Date("2026-11-23T08:00:00.000Z");
      const [row] = await testDb.db.sql<{ at: Date; epoch: number }>(
        `SELECT $1::timestamp AS at, EXTRACT(EPOCH FROM $1::timestamp)::float8 AS epoch`,
        [at],
      );
      expect(row?.epoch).toBe(at.getTime() / 1000);
      expect(row?.at.toISOString()).toBe(at.toISOString());
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
