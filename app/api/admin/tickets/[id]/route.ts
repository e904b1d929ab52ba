import { handleGetTicket } from "@/lib/admin/tickets-api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return handleGetTicket(request, await getRuntime(), (await context.params).id);
}
