import client from "prom-client";
import type { BudgetUsage } from "../jobs/budget";
import { metrics, processSingleton } from "../metrics";

// The reconciler's metrics, on the shared registry: drift found and repaired by provider and
// kind (counted by the process that ran the reconciliation), and the share of each provider
// budget window used, read at scrape time from the budgets (the database) so any instance
// answers the same. The quota alert (above 80%) reads the gauge.

export type QuotaSource = () => Promise<Array<BudgetUsage & { provider: string }>>;

function build() {
  const registry = metrics().registry;
  const quota: { source: QuotaSource | null } = { source: null };
  return {
    quota,
    driftFound: new client.Counter({
      name: "entitled_drift_found_total",
      help: "Drift a reconciliation found that no earlier run had handed to a person, by provider (circle, kit, stripe) and kind",
      labelNames: ["provider", "kind"] as const,
      registers: [registry],
    }),
    driftRepaired: new client.Counter({
      name: "entitled_drift_repaired_total",
      help: "Drift a reconciliation repaired (a job enqueued through the outbox, or Stripe's object applied as its webhook), by provider and kind",
      labelNames: ["provider", "kind"] as const,
      registers: [registry],
    }),
    quotaUsed: new client.Gauge({
      name: "entitled_provider_quota_used_ratio",
      help: "Share (0..1) of each provider request budget window used: window=rolling (Kit's minute, Circle's 5 minutes, Stripe's second), window=month (Circle's plan quota)",
      labelNames: ["provider", "window"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        // A scrape must answer even when the database does not: no figures then.
        for (const usage of (await quota.source?.().catch(() => [])) ?? []) {
          this.set({ provider: usage.provider, window: "rolling" }, Math.min(1, usage.windowUsed / usage.windowLimit));
          if (usage.monthLimit) this.set({ provider: usage.provider, window: "month" }, Math.min(1, usage.monthUsed / usage.monthLimit));
        }
      },
    }),
  };
}

export function reconcileMetrics() {
  return processSingleton("reconcile", build);
}

/** Where the quota gauge reads budget usage from (the process's runtime budgets); the latest one set wins. */
export function setQuotaSource(source: QuotaSource): void {
  reconcileMetrics().quota.source = source;
}
