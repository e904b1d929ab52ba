import { getSession, signIn, signOut } from "@/lib/admin/api";
import { getRuntime } from "@/lib/runtime";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The signed-in admin, or 401. */
export async function GET(request: Request) {
  return getSession(request, await getRuntime());
}

/** Sign in with `{ email, password }`. */
export async function POST(request: Request) {
  return signIn(request, await getRuntime());
}

/** Sign out. */
export async function DELETE(request: Request) {
  return signOut(request, await getRuntime());
}
