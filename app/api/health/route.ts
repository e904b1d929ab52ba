import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Liveness: the process answers. Readiness (?ready=1): the database answers too.
export async function GET(request: Request) {
  if (!new URL(request.url).searchParams.has("ready")) return Response.json({ status: "ok" });
  try {
    const { db } = await getRuntime();
    await db.sql("SELECT 1 AS ok");
    return Response.json({ status: "ready", database: db.kind });
  } catch {
    return Response.json({ status: "unavailable" }, { status: 503 });
  }
}
