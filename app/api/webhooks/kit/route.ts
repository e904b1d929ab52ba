import { getRuntime } from "@/lib/runtime";
import { handleKitWebhook } from "@/lib/webhooks/kit";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  return handleKitWebhook(request, (await getRuntime()).kitWebhook);
}
