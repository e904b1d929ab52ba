import { metricsRefusal } from "@/lib/http-security";
import { renderMetrics } from "@/lib/observability/metrics-endpoint";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Prometheus scrapes this with `Authorization: Bearer <METRICS_TOKEN>`; in production the route
// is off (404) until METRICS_TOKEN is set.
export async function GET(request: Request) {
  const { env, db } = await getRuntime();
  const refusal = metricsRefusal(request, env);
  if (refusal) return refusal;
  const { body, contentType } = await renderMetrics(db);
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
