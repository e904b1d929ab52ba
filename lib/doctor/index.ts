import { Resolver } from "node:dns/promises";
import { loadCatalog } from "../catalog-file";
import { createCircleClient, CIRCLE_DEFAULT_BASE_URL, type CircleClient } from "../integrations/circle";
import { createKitClient, KIT_DEFAULT_BASE_URL, type KitClient } from "../integrations/kit";
import type { PlanCatalog } from "../lifecycle/catalog";
import { checkEmailDomain, type TxtResolver } from "./dns";
import { checkEnvironment } from "./env";
import { checkCertificate, checkWebhookDelivery } from "./https";
import { checkCircle, checkKit } from "./integrations";
import { createStripeClient } from "../integrations/stripe";
import { checkStripe } from "./stripe";
import { errorMessage, fail, pass, read, type CheckResult, type CheckStatus, type EnvSource } from "./types";

export type { CheckResult, CheckStatus, EnvSource } from "./types";
export { REQUIRED_STRIPE_EVENTS } from "./stripe";

// The launch doctor (`npm run doctor`): every check a founder would otherwise do by hand before
// going live, each failure with its fix. All I/O is injectable, so the tests run it offline.

export interface DoctorDeps {
  /** The environment to check (process.env in the command). */
  env: EnvSource;
  /** The plan catalog; default: PLAN_CATALOG or the shipped file, loaded and validated. */
  loadCatalog?: () => PlanCatalog;
  /** TXT lookups; default: the system resolver. */
  resolver?: TxtResolver;
  /** Extra trusted CA (PEM) for PUBLIC_URL's certificate: tests' self-signed one. */
  ca?: string | Buffer;
  circle?: CircleClient | null;
  kit?: KitClient | null;
  now?: () => Date;
  timeoutMs?: number;
}

function catalogCheck(load: () => PlanCatalog, source: EnvSource): { result: CheckResult; catalog: PlanCatalog | null } {
  const id = "catalog";
  const title = "Plan catalog valid";
  try {
    const catalog = load();
    return { result: pass(id, title, `${catalog.plans.length} plan${catalog.plans.length === 1 ? "" : "s"}`), catalog };
  } catch (error) {
    const file = read(source, "PLAN_CATALOG") ?? "lib/lifecycle/plan-catalog.json";
    return { result: fail(id, title, errorMessage(error), `fix the plan catalog ${file} (see README, "The plan catalog") or point PLAN_CATALOG at the right file`), catalog: null };
  }
}

export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  const source = deps.env;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const now = deps.now?.() ?? new Date();
  const publicUrl = read(source, "PUBLIC_URL");
  const validPublicUrl = publicUrl && URL.canParse(publicUrl) ? publicUrl : undefined;

  const environment = checkEnvironment(source);
  const { result: catalogResult, catalog } = catalogCheck(deps.loadCatalog ?? (() => loadCatalog(read(source, "PLAN_CATALOG"))), source);

  const stripeKey = read(source, "STRIPE_SECRET_KEY");
  const stripeApiUrl = read(source, "STRIPE_API_URL");
  // A malformed STRIPE_API_URL is the environment check's to report; Stripe's own API is used meanwhile.
  const stripe = stripeKey ? createStripeClient(stripeKey, stripeApiUrl && URL.canParse(stripeApiUrl) ? stripeApiUrl : undefined, timeoutMs) : null;
  const circleToken = read(source, "CIRCLE_API_TOKEN");
  const circle =
    deps.circle !== undefined ? deps.circle : circleToken ? createCircleClient({ baseUrl: read(source, "CIRCLE_API_URL") ?? CIRCLE_DEFAULT_BASE_URL, token: circleToken, timeoutMs }) : null;
  const kitKey = read(source, "KIT_API_KEY");
  const kit = deps.kit !== undefined ? deps.kit : kitKey ? createKitClient({ baseUrl: read(source, "KIT_API_URL") ?? KIT_DEFAULT_BASE_URL, apiKey: kitKey, timeoutMs }) : null;
  const resolver: TxtResolver = deps.resolver ?? new Resolver({ timeout: timeoutMs, tries: 2 });
  const tlsOptions = { ca: deps.ca, timeoutMs, now };

  const [stripeResults, circleResult, kitResult, httpsResults, delivery, email] = await Promise.all([
    checkStripe({ stripe, secretKey: stripeKey, publicUrl: validPublicUrl }),
    checkCircle(circle, catalog),
    checkKit(kit, catalog),
    checkCertificate(validPublicUrl, tlsOptions),
    checkWebhookDelivery(validPublicUrl, read(source, "STRIPE_WEBHOOK_SECRET"), tlsOptions),
    checkEmailDomain(resolver, read(source, "EMAIL_DOMAIN"), read(source, "DKIM_SELECTOR")),
  ]);
  return [environment, catalogResult, ...stripeResults, delivery, circleResult, kitResult, ...httpsResults, ...email];
}

/** Non-zero when a must-have failed (a warning never fails the run). */
export const doctorExitCode = (results: CheckResult[]) => (results.some((result) => result.status === "fail") ? 1 : 0);

export function summarize(results: CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const result of results) counts[result.status]++;
  return counts;
}

export interface DoctorReport {
  ok: boolean;
  summary: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export const doctorReport = (results: CheckResult[]): DoctorReport => ({ ok: doctorExitCode(results) === 0, summary: summarize(results), checks: results });

const MARK: Record<CheckStatus, string> = { pass: "[pass]", warn: "[warn]", fail: "[FAIL]", skip: "[skip]" };

/** The human checklist. */
export function formatChecklist(results: CheckResult[]): string {
  const lines = ["Launch doctor", ""];
  for (const result of results) {
    lines.push(`${MARK[result.status]} ${result.title}`, `       ${result.detail}`);
    if (result.fix && (result.status === "fail" || result.status === "warn")) {
      const [first, ...rest] = result.fix.split("\n");
      lines.push(`       Fix: ${first}`, ...rest.map((line) => `            ${line}`));
    }
  }
  const counts = summarize(results);
  lines.push(
    "",
    `${counts.pass} passed, ${counts.warn} warning${counts.warn === 1 ? "" : "s"}, ${counts.fail} failed, ${counts.skip} skipped`,
    doctorExitCode(results) === 0 ? "Ready to launch." : "Not ready: fix the failures above and run `npm run doctor` again.",
  );
  return lines.join("\n");
}
