import { getReconcileRun } from "@/lib/admin/reconcile";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return getReconcileRun(request, await getRuntime(), (await context.params).id);
}
