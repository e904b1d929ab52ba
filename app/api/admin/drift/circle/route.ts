import { circleDrift } from "@/lib/admin/api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return circleDrift(request, await getRuntime());
}
