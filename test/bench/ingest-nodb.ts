// A benchmark diagnostic: the lean ingest server with the ledger insert replaced by a stub,
// so the difference to the real server is the database's share of each acknowledgement.
// Same HTTP host, same handler (signature, envelope, normalization), same process setup.
import { env } from "../../lib/config";
import { createIngestServer } from "../../lib/webhooks/ingest-server";
import type { LedgerWriter } from "../../lib/webhooks/ledger";
import { createStripeWebhookProcessor } from "../../lib/webhooks/stripe";

const config = env();
if (!config.STRIPE_WEBHOOK_SECRET) throw new Error("STRIPE_WEBHOOK_SECRET is required");

// Every event is new and nothing is written.
const ledger: LedgerWriter = { record: async (entries) => entries.map(() => true) };
const processStripeDelivery = createStripeWebhookProcessor({ ledger, secret: config.STRIPE_WEBHOOK_SECRET });
const notMounted = async () => ({ status: 404, body: { error: "not mounted" } });

const server = createIngestServer({ processStripeDelivery, processKitDelivery: notMounted });
server.listen(config.INGEST_PORT, "127.0.0.1", () => console.log(`ingest (no database) listening on ${config.INGEST_PORT}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
