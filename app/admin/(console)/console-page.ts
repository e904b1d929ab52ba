import { requireAdminPage } from "@/lib/admin/guard";
import { getRuntime } from "@/lib/runtime";

/**
 * Every console page starts here: the runtime and the signed-in admin, or a redirect to the
 * sign-in page. Pages check it themselves (not only the layout): a layout is not rendered again
 * when the browser moves between pages, so it alone would not notice an ended session.
 */
export async function consolePage() {
  const runtime = await getRuntime();
  const admin = await requireAdminPage(runtime);
  return { runtime, admin };
}
