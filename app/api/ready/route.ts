import { env } from "@/lib/config";
import { checkReadiness, readinessResponse, readinessThresholds } from "@/lib/observability/health";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Readiness: 503 with the reasons when the database does not answer, no worker has beaten
// recently, or the queue's oldest due job has waited past READY_MAX_QUEUE_AGE_MS.
export async function GET() {
  const readiness = await checkReadiness(async () => (await getRuntime()).db, readinessThresholds(env()));
  return readinessResponse(readiness);
}
