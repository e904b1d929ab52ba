import { circleLiveRoute } from "@/lib/admin/views-api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return circleLiveRoute(request, await getRuntime(), (await context.params).id);
}
