import { searchRoute } from "@/lib/admin/views-api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return searchRoute(request, await getRuntime());
}
