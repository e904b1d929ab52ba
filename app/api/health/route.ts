import { env } from "@/lib/config";
import { checkReadiness, parseHealthQuery, readinessResponse, readinessThresholds } from "@/lib/observability/health";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Liveness: the process answers. Readiness (?ready=1, same as /api/ready): 503 with the reasons
// when the database does not answer, no worker has beaten recently, or the queue's oldest due
// job has waited past READY_MAX_QUEUE_AGE_MS.
export async function GET(request: Request) {
  const query = parseHealthQuery(request.url);
  if (!query.ok) return Response.json({ error: query.error }, { status: 400 });
  if (!query.readiness) return Response.json({ status: "ok" });
  const readiness = await checkReadiness(async () => (await getRuntime()).db, readinessThresholds(env()));
  return readinessResponse(readiness);
}
