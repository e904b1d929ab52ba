import { handleChatGet, handleChatPost } from "@/lib/chat/handler";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  return handleChatPost(request, (await getRuntime()).chat);
}

export async function GET(request: Request) {
  return handleChatGet(request, (await getRuntime()).chat);
}
