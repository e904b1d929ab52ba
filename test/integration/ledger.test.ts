import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLedgerWriter, recordEvents, type LedgerEntry } from "../../lib/webhooks/ledger";
import { createTestDatabase, type TestDatabase } from "../../lib/sandbox/database";

let testDb: TestDatabase;
beforeEach(async () => {
  testDb = await createTestDatabase();
});
afterEach(async () => {
  await testDb.drop();
});

const entry = (eventId: string, handled = true): LedgerEntry => ({
  provider: "stripe",
  eventId,
  type: handled ? "invoice.paid" : "product.created",
  createdAt: new Date("2026-11-01T00:00:00Z"),
  json: JSON.stringify({ id: eventId, note: `quotes " and backslashes \\ and unicode é` }),
  handled,
});

const count = async (table: string) => (await testDb.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;

describe("ledger", () => {
  it("stores the event JSON as sent and says which entries were new", async () => {
    expect(await recordEvents(testDb.db, [entry("evt_a"), entry("evt_b", false), entry("evt_a")])).toEqual([true, true, false]);
    expect(await recordEvents(testDb.db, [entry("evt_a"), entry("evt_c")])).toEqual([false, true]);
    const [row] = await testDb.db.sql<{ payload: unknown }>(`SELECT payload FROM "WebhookEvent" WHERE "eventId" = 'evt_a'`);
    expect(row!.payload).toEqual({ id: "evt_a", note: `quotes " and backslashes \\ and unicode é` });
    expect(await count("WebhookEvent")).toBe(3);
    // The unhandled event gets no apply job.
    expect(await count("Job")).toBe(2);
  });

  it("groups concurrent deliveries into fewer statements, each answered correctly", async () => {
    let statements = 0;
    const counting = { ...testDb.db, sql: ((...args: Parameters<typeof testDb.db.sql>) => {
      statements += 1;
      return testDb.db.sql(...args);
    }) as typeof testDb.db.sql };
    const writer = createLedgerWriter(counting, { maxInFlight: 1 });
    const ids = Array.from({ length: 40 }, (_, i) => `evt_group_${i % 30}`);
    const answers = await Promise.all(ids.map((id) => writer.record([entry(id)])));
    expect(statements).toBeLessThan(10);
    expect(await count("WebhookEvent")).toBe(30);
    // Ten ids were sent twice: exactly one of each pair is new.
    const freshById = new Map<string, number>();
    answers.forEach(([fresh], i) => freshById.set(ids[i]!, (freshById.get(ids[i]!) ?? 0) + (fresh ? 1 : 0)));
    expect([...freshById.values()].every((n) => n === 1)).toBe(true);
  });

  it("fails every delivery of a statement that fails, so each one is retried by its sender", async () => {
    const broken = { ...testDb.db, sql: (async () => {
      throw new Error("connection reset");
    }) as typeof testDb.db.sql };
    const writer = createLedgerWriter(broken);
    const results = await Promise.allSettled([writer.record([entry("evt_x")]), writer.record([entry("evt_y")])]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
