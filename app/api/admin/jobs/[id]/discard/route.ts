import { discardJobRoute } from "@/lib/admin/views-api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request, context: { params: Promise<{ id: string }> }) {
  return discardJobRoute(request, await getRuntime(), (await context.params).id);
}
