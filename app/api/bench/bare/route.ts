import Stripe from "stripe";
import { env } from "@/lib/config";
import { readBody } from "@/lib/webhooks/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The framework's ceiling for the ingest benchmark: verify a Stripe signature and answer,
// nothing else. Off unless BENCH_ROUTES=1.
export async function POST(request: Request) {
  const secret = env().STRIPE_WEBHOOK_SECRET;
  if (env().BENCH_ROUTES !== "1" || !secret) return new Response("not found", { status: 404 });
  try {
    // The webhook routes' 1 MiB limit; over it, refused like a bad signature (bench only).
    Stripe.webhooks.constructEvent(await readBody(request), request.headers.get("stripe-signature") ?? "", secret, 300);
  } catch {
    return Response.json({ error: "invalid signature" }, { status: 400 });
  }
  return Response.json({ received: true });
}
