import { z } from "zod";
import { isProduction } from "@/lib/config";
import { signIdentityToken } from "@/lib/identity";
import { getRuntime } from "@/lib/runtime";
import { DEMO_EMAILS } from "@/lib/demo";
import { BodyTooLargeError, readBody } from "@/lib/webhooks/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const body = z.object({ email: z.enum(DEMO_EMAILS) });

// Demo only: signs an identity token for one of the seeded customers, standing in for the host
// site's own sign-in. It does not exist in production.
export async function POST(request: Request) {
  const runtime = await getRuntime();
  if (isProduction(runtime.env)) return Response.json({ error: "not found" }, { status: 404 });
  let raw: unknown = null;
  try {
    raw = JSON.parse(await readBody(request, 1024));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return Response.json({ error: "body over 1 KiB" }, { status: 413 });
  }
  const parsed = body.safeParse(raw);
  if (!parsed.success) return Response.json({ error: "pick one of the demo customers" }, { status: 400 });
  return Response.json({ token: await signIdentityToken(parsed.data.email, runtime.identitySecret, { expiresInSeconds: 3600 }) });
}
