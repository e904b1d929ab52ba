// A benchmark diagnostic: the lean ingest server with the ledger insert replaced by a stub,
// so the difference to the real server is the database's share of each acknowledgement.
// Same HTTP host, same handler (signature, envelope, normalization), same process setup.
import { env } from "../../lib/config";
import { createIngestServer } from "../../lib/webhooks/ingest-server";
import type { LedgerWriter } from "../../lib/webhooks/ledger";
import crypto from "node:crypto";

const config = env();
if (!config.STRIPE_WEBHOOK_SECRET) throw new Error("STRIPE_WEBHOOK_SECRET is required");

// Every event is new and nothing is written.
const ledger: LedgerWriter = { record: async (entries) => entries.map(() => true) };
// Only Stripe deliveries are sent; Kit's route is mounted with a secret nothing signs with.
const server = createIngestServer({
  stripeWebhook: { ledger, secret: config.STRIPE_WEBHOOK_SECRET },
  kitWebhook: { ledger, secret: crypto.randomBytes(16).toString("hex") },
});
server.listen(config.INGEST_PORT, "127.0.0.1", () => console.log(`ingest (no database) listening on ${config.INGEST_PORT}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
