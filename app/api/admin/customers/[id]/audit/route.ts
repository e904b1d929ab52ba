import { getAuditTrail } from "@/lib/admin/overrides";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return getAuditTrail(request, await getRuntime(), (await context.params).id);
}
