import type { Database } from "../lib/db";
import type { Env } from "../lib/config";
import { upsertAdmin, type AdminAccount } from "../lib/admin/accounts";
import { recordEvents } from "../lib/webhooks/ledger";
import {
  chargeRefunded,
  checkoutCompleted,
  invoiceEvent,
  newPurchase,
  stripeLedgerEntry,
  subscriptionEvent,
  type Purchase,
} from "../lib/sandbox/stripe-events";

// Demo customers, one per lifecycle state, made of Stripe events recorded in the ledger
// exactly as the webhook handler records them; the worker applies them like any other.
// Fixed event ids make seeding idempotent.

const DAY = 86_400;

interface DemoCustomer {
  key: string;
  purchase: Purchase;
  events: Array<{ type: string; id: string; created: number; data: unknown }>;
}

function demoCustomers(now: number): DemoCustomer[] {
  const make = (key: string, email: string, name: string, overrides: Partial<Purchase>, build: (p: Purchase) => Array<Record<string, unknown>>) => {
    const purchase = newPurchase({
      email,
      name,
      customerId: `cus_demo_${key}`,
      subscriptionId: `sub_demo_${key}`,
      paymentIntentId: `pi_demo_${key}`,
      chargeId: `ch_demo_${key}`,
      invoiceId: `in_demo_${key}`,
      ...overrides,
    });
    const events = build(purchase).map((event, index) => ({ ...event, id: `evt_demo_${key}_${index + 1}` })) as DemoCustomer["events"];
    return { key, purchase, events };
  };
  return [
    make("ada", "ada@example.com", "Ada Active", { at: now - 20 * DAY, periodEnd: now + 10 * DAY }, (p) => [
      checkoutCompleted(p),
      subscriptionEvent(p, "customer.subscription.created"),
      invoiceEvent(p, "invoice.paid"),
    ]),
    make("ben", "ben@example.com", "Ben New", { at: now - 60, periodEnd: now + 30 * DAY }, (p) => [checkoutCompleted(p)]),
    make("cara", "cara@example.com", "Cara Refunded", { at: now - 9 * DAY, periodEnd: now + 21 * DAY }, (p) => [
      checkoutCompleted(p),
      invoiceEvent(p, "invoice.paid"),
      chargeRefunded(p, { created: now - 8 * DAY }),
    ]),
    make("dan", "dan@example.com", "Dan Declined", { at: now - 32 * DAY, periodEnd: now + 2 * DAY }, (p) => [
      checkoutCompleted(p),
      invoiceEvent(p, "invoice.paid"),
      invoiceEvent(p, "invoice.payment_failed", { created: now - 2 * DAY, invoiceId: "in_demo_dan_renewal" }),
    ]),
    make("eve", "eve@example.com", "Eve Leaving", { at: now - 25 * DAY, periodEnd: now + 5 * DAY }, (p) => [
      checkoutCompleted(p),
      subscriptionEvent(p, "customer.subscription.updated", { cancelAtPeriodEnd: true, created: now - 1 * DAY }),
    ]),
    make("fay", "fay@example.com", "Fay Masterclass", { at: now - 3 * DAY, priceId: "price_demo_masterclass" }, (p) => [checkoutCompleted(p)]),
  ];
}

/** Records the demo history; returns how many events were new. */
export async function seedDemo(db: Database, now = Math.floor(Date.now() / 1000)): Promise<number> {
  const events = demoCustomers(now).flatMap((customer) => customer.events);
  const fresh = await recordEvents(db, events.map(stripeLedgerEntry));
  return fresh.filter(Boolean).length;
}

/** The embedded demo's console admin: seeded by seedDemoAdmin, printed by `npm start`. */
export const DEMO_ADMIN = { email: "admin@example.com", name: "Demo Admin" } as const;
/** Its password when DEMO_ADMIN_PASSWORD is unset. Published here, so never used in production. */
export const DEMO_ADMIN_DEFAULT_PASSWORD = "demo-admin-password";

/** The demo admin's password in this environment. */
export const demoAdminPassword = (config: Pick<Env, "DEMO_ADMIN_PASSWORD">) => config.DEMO_ADMIN_PASSWORD ?? DEMO_ADMIN_DEFAULT_PASSWORD;

/** Seeds (or resets) the demo admin outside production; production seeds no account. */
export async function seedDemoAdmin(db: Database, config: Pick<Env, "APP_MODE" | "DEMO_ADMIN_PASSWORD">): Promise<AdminAccount> {
  if (config.APP_MODE === "production") throw new Error("the demo admin is not seeded in production: create admins with npm run admin:create");
  return upsertAdmin(db, { ...DEMO_ADMIN, password: demoAdminPassword(config) });
}
