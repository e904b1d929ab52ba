import { doctorRoute } from "@/lib/admin/doctor-view";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return doctorRoute(request, { ...(await getRuntime()), doctorEnv: process.env });
}
