import { handleDrainRequest } from "@/lib/drain-route";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// The host's limit for this function: DRAIN_BUDGET_MS (25 s by default) plus the slowest batch
// it may be awaiting must fit in it.
export const maxDuration = 60;

// Vercel Cron calls with GET; QStash and people with POST.
export async function GET(request: Request) {
  return handleDrainRequest(request, (await getRuntime()).drain);
}

export async function POST(request: Request) {
  return handleDrainRequest(request, (await getRuntime()).drain);
}
