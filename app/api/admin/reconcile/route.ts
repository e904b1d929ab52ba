import { postReconcile } from "@/lib/admin/reconcile";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  return postReconcile(request, await getRuntime());
}
