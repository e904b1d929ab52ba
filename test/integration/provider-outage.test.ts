import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findCustomerId } from "../../lib/record/read";
import { createWorker, type Worker } from "../../lib/jobs/worker";
import { defaultBackoff, replayDeadJob } from "../../lib/jobs/queue";
import { openOrReuseTicket } from "../../lib/support/tickets";
import { startStack, type Stack } from "../../lib/sandbox/stack";
import { checkoutCompleted, newPurchase, type Purchase } from "../../lib/sandbox/stripe-events";

// Circle down for three hours, on an injected clock: purchases keep arriving, the worker retries
// each grant on the production backoff until its attempts are spent, and then the grant is a
// dead letter and the customer's purchase gets one access ticket, which the customer's own ask
// from the chat joins instead of doubling. Once Circle is back, the team replays the dead
// letters and every customer ends up in the community once.

const MINUTE = 60_000;
const OUTAGE_MS = 3 * 60 * MINUTE;
const CUSTOMERS = 12;

let stack: Stack;
let worker: Worker;
/** Time the test has moved the queue's clock forward. */
let simulatedMs = 0;

beforeEach(async () => {
  stack = await startStack();
  // The production retry schedule (the stack's own worker retries in milliseconds).
  worker = createWorker({ db: stack.db, handlers: stack.handlers, concurrency: 4, pollMs: 10, leaseMs: 30_000, backoff: defaultBackoff });
  simulatedMs = 0;
});
afterEach(async () => {
  await stack.stop();
});

/** Runs every job that is due, again and again, until none is. */
async function runDue() {
  while ((await worker.runOnce()) > 0);
}

/**
 * The injected clock: moving time forward by `ms` for the queue is moving every queued job's
 * `runAt` back by as much. Jobs that come due on the way run at their moment, in order, so a
 * retry scheduled from a retry is scheduled from the time it ran.
 */
async function advance(ms: number) {
  const target = simulatedMs + ms;
  for (;;) {
    await runDue();
    const [soonest] = await stack.db.sql<{ inMs: number | null }>(
      `SELECT EXTRACT(EPOCH FROM (min("runAt") - now()))::float8 * 1000 AS "inMs" FROM "Job" WHERE status = 'queued'`,
    );
    const step = Math.max(0, Math.min(target - simulatedMs, Math.ceil(soonest?.inMs ?? Infinity)));
    await stack.db.sql(`UPDATE "Job" SET "runAt" = "runAt" - make_interval(secs => $1::float8 / 1000) WHERE status = 'queued'`, [step]);
    simulatedMs += step;
    if (simulatedMs >= target) {
      await runDue();
      return;
    }
  }
}

const grantJobs = () =>
  stack.db.sql<{ id: string; status: string; attempts: number; customerId: string }>(
    `SELECT id, status::text AS status, attempts, "customerId" FROM "Job" WHERE kind = 'circle.grant' ORDER BY "createdAt"`,
  );
const accessTickets = () =>
  stack.db.sql<{ id: string; customerId: string; journeyId: string | null; status: string; notes: number }>(
    `SELECT ticket.id, ticket."customerId", ticket."journeyId", ticket.status::text AS status,
            (SELECT count(*)::int FROM "TicketNote" note WHERE note."ticketId" = ticket.id) AS notes
       FROM "Ticket" ticket WHERE category = 'access'`,
  );

describe("Circle down for hours", () => {
  it("ends in dead letters and one access ticket per purchase; replayed after recovery, every customer is in the community once", async () => {
    stack.circle.injectRandomFaults({ rate: 1, faults: [{ status: 503 }], random: Math.random });
    const purchases: Purchase[] = [];
    // A purchase every quarter of an hour through the outage, a third of them for the masterclass.
    for (let index = 0; index < CUSTOMERS; index += 1) {
      const purchase = newPurchase({ email: `outage-${index}@example.com`, ...(index % 3 === 2 ? { priceId: "price_demo_masterclass" } : {}) });
      purchases.push(purchase);
      expect((await stack.postStripe(checkoutCompleted(purchase))).status).toBe(200);
      await advance(OUTAGE_MS / CUSTOMERS);
    }
    expect(simulatedMs).toBe(OUTAGE_MS);

    // Every grant spent its attempts on the production schedule and is a dead letter.
    const dead = await grantJobs();
    expect(dead).toHaveLength(CUSTOMERS);
    expect(dead.map((job) => job.status)).toEqual(Array(CUSTOMERS).fill("dead"));
    // Backoff, not a hot loop: a bounded number of calls per job.
    const calls = stack.circle.requests().length;
    expect(calls).toBeLessThanOrEqual(CUSTOMERS * 8 * 2);

    // One open access ticket per purchase, on that purchase's journey.
    const customerIds = await Promise.all(purchases.map(async (purchase) => (await findCustomerId(stack.db, purchase.email))!));
    let tickets = await accessTickets();
    expect(tickets).toHaveLength(CUSTOMERS);
    expect(new Set(tickets.map((ticket) => ticket.customerId))).toEqual(new Set(customerIds));
    expect(tickets.every((ticket) => ticket.journeyId !== null && ticket.status === "open")).toBe(true);

    // Customers who ask the chat during the outage join their ticket; a second dead hook run does too.
    for (const [index, purchase] of purchases.slice(0, 4).entries()) {
      const outcome = await openOrReuseTicket(stack.db, { customerId: customerIds[index]!, identity: purchase.email, category: "access", summary: "I paid but I cannot get into the community", source: "chat" });
      expect(outcome.created).toBe(false);
    }
    tickets = await accessTickets();
    expect(tickets).toHaveLength(CUSTOMERS);
    expect(tickets.filter((ticket) => ticket.notes > 0)).toHaveLength(4);

    // Circle is back; the team replays the dead letters (twice, as two people might).
    stack.circle.recover();
    for (const job of dead) expect(await replayDeadJob(stack.db, job.id, { actor: "admin@example.com", reason: "Circle is back" })).toMatchObject({ replayed: true });
    for (const job of dead) expect(await replayDeadJob(stack.db, job.id, { actor: "admin@example.com", reason: "Circle is back" })).toMatchObject({ replayed: false });
    await advance(30 * MINUTE);

    expect((await grantJobs()).map((job) => job.status)).toEqual(Array(CUSTOMERS).fill("succeeded"));
    const community = purchases.filter((purchase) => purchase.priceId === "price_demo_community_monthly").map((purchase) => purchase.email);
    const masterclass = purchases.filter((purchase) => purchase.priceId === "price_demo_masterclass").map((purchase) => purchase.email);
    expect([...stack.circle.membersOf(stack.ids.communityGroup)].sort()).toEqual(community.sort());
    expect([...stack.circle.membersOf(stack.ids.masterclassGroup)].sort()).toEqual(masterclass.sort());
    expect(stack.circle.memberCount()).toBe(CUSTOMERS);
    const grants = await stack.db.sql<{ state: string }>(`SELECT state::text AS state FROM "AccessGrant"`);
    expect(grants.map((grant) => grant.state).filter((state) => state !== "invited")).toEqual([]);
    // Replays are audited, one row each; no ticket was added by the recovery.
    const [audits] = await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "AuditLog" WHERE action = 'job.replay'`);
    expect(audits?.n).toBe(CUSTOMERS);
    expect(await accessTickets()).toHaveLength(CUSTOMERS);
  });
});
