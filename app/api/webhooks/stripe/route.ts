import { getRuntime } from "@/lib/runtime";
import { handleStripeWebhook } from "@/lib/webhooks/stripe";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  return handleStripeWebhook(request, (await getRuntime()).stripeWebhook);
}
