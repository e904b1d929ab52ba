import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testDbKind, type TestDatabase } from "../../lib/sandbox/database";

// Regression: "a connection lost while checked out ends the process". The database-restart test
// found it: a worker holding a pooled connection in a transaction when PostgreSQL went down
// died of an unheard `error` event on the pg Client. The statement in flight must fail on its
// own, the process live on, and the next statement get a fresh connection.

let testDb: TestDatabase;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  if (testDbKind !== "postgres") return;
  testDb = await createTestDatabase();
  process.on("uncaughtException", onUncaught);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  await testDb?.drop();
});

describe.skipIf(testDbKind !== "postgres")("a connection lost while checked out", () => {
  const killOwnBackend = (sql: (text: string) => Promise<unknown>) => sql("SELECT pg_terminate_backend(pg_backend_pid())");

  it("fails the transaction it was in, and the next one runs on a new connection", async () => {
    await expect(testDb.db.transaction((session) => killOwnBackend((text) => session.sql(text)))).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(uncaught).toEqual([]);
    const [row] = await testDb.db.transaction((session) => session.sql<{ one: number }>("SELECT 1 AS one"));
    expect(row?.one).toBe(1);
  });

  it("fails the session it was in, and the next one runs on a new connection", async () => {
    await expect(testDb.db.withSession((session) => killOwnBackend((text) => session.sql(text)))).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(uncaught).toEqual([]);
    const [row] = await testDb.db.withSession((session) => session.sql<{ one: number }>("SELECT 1 AS one"));
    expect(row?.one).toBe(1);
  });
});
