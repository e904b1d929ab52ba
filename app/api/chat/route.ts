import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  return (await getRuntime()).chat.post(request);
}

export async function GET(request: Request) {
  return (await getRuntime()).chat.get(request);
}
