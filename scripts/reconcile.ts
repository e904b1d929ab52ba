// `npm run reconcile [-- --dry-run] [--provider circle|kit|stripe]`: compares the record with
// Circle, Kit and Stripe now, acts on drift by the policy (or only reports it with --dry-run),
// with a progress bar and a summary table. Exit code 1 when a provider stopped early.
import cliProgress from "cli-progress";
import { env } from "../lib/config";
import { formatSummary, parseReconcileArgs, providerLabel } from "../lib/reconcile/cli";
import { reconcile } from "../lib/reconcile/run";
import { createRuntime } from "../lib/runtime";

let args;
try {
  args = parseReconcileArgs(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const runtime = await createRuntime(env());
try {
  if (!runtime.reconciler) {
    console.error("Nothing to reconcile: set CIRCLE_API_TOKEN, KIT_API_KEY or STRIPE_SECRET_KEY.");
    process.exitCode = 2;
  } else {
    const bar = new cliProgress.SingleBar({ format: "{provider} [{bar}] {value}/{total}", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
    let current: string | null = null;
    const report = await reconcile(runtime.reconciler, {
      dryRun: args.dryRun,
      providers: args.providers,
      onProgress: ({ provider, done, total }) => {
        if (current !== provider) {
          if (current !== null) bar.stop();
          current = provider;
          bar.start(total, done, { provider: providerLabel(provider).padEnd(6) });
        } else bar.update(done);
      },
    });
    if (current !== null) bar.stop();
    process.stdout.write(`${formatSummary(report)}\n`);
    if (Object.values(report.providers).some((status) => status.status === "stopped")) process.exitCode = 1;
  }
} finally {
  await runtime.close();
}
