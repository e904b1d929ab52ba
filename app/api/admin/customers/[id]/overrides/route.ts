import { postOverride } from "@/lib/admin/overrides";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request, context: { params: Promise<{ id: string }> }) {
  return postOverride(request, await getRuntime(), (await context.params).id);
}
