import type { PlanCatalog } from "../lifecycle/catalog";
import { createFakeCircle, type FakeCircle } from "./circle";
import { createFakeKit, type FakeKit } from "./kit";

/**
 * A fake Circle and Kit, started, holding every access group and tag a plan catalog names: the
 * providers a process started with that catalog (a worker, the web app) can call for real.
 */
export async function startCatalogFakes(catalog: PlanCatalog): Promise<{ circle: FakeCircle; kit: FakeKit; circleUrl: string; kitUrl: string; stop(): Promise<void> }> {
  const circle = createFakeCircle();
  const kit = createFakeKit();
  const [circleServer, kitServer] = await Promise.all([circle.start(), kit.start()]);
  for (const id of new Set(catalog.plans.flatMap((plan) => plan.circleAccessGroupIds))) circle.addAccessGroup(`group ${id}`, id);
  for (const id of new Set([...catalog.plans.flatMap((plan) => Object.values(plan.kitTagIds).flat()), ...catalog.promotionalTagIds])) kit.addTag(`tag ${id}`, id);
  return {
    circle,
    kit,
    circleUrl: circleServer.url,
    kitUrl: kitServer.url,
    stop: async () => {
      await Promise.all([circle.stop(), kit.stop()]);
    },
  };
}
