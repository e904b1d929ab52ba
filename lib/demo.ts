// The seeded demo customers (prisma/seed.ts), one per lifecycle state; the demo page's picker
// lists them. Demo mode only.
export const DEMO_CUSTOMERS = [
  { email: "ada@example.com", label: "Ada: active member" },
  { email: "ben@example.com", label: "Ben: paid a minute ago" },
  { email: "cara@example.com", label: "Cara: refunded" },
  { email: "dan@example.com", label: "Dan: card declined, in grace period" },
  { email: "eve@example.com", label: "Eve: canceled, access until period end" },
  { email: "fay@example.com", label: "Fay: one-time masterclass" },
] as const;

export const DEMO_EMAILS = DEMO_CUSTOMERS.map((customer) => customer.email);
