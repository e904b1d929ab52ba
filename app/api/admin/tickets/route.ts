import { handleListTickets } from "@/lib/admin/tickets-api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return handleListTickets(request, await getRuntime());
}
