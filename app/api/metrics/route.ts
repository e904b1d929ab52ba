import { renderMetrics } from "@/lib/metrics";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET() {
  const { body, contentType } = await renderMetrics((await getRuntime()).db);
  return new Response(body, { headers: { "content-type": contentType } });
}
