import type { Database } from "../db";
import type { CircleClient, CircleMember } from "../integrations/circle";
import type { KitClient } from "../integrations/kit";
import type { StripeReader } from "../integrations/stripe";
import { RUNNING_SUBSCRIPTION_STATUSES } from "../integrations/stripe";
import { BudgetExhaustedError, ShareSpentError } from "../jobs/budget";
import { catalogAccessGroupIds, managedTagIds, type PlanCatalog } from "../lifecycle/catalog";
import { MEMBERS_PAGE_SIZE, listingIsCheaper } from "./follow-up";
import {
  classifyCircle,
  classifyKit,
  classifyStripe,
  DRIFT_KINDS,
  DRIFT_PROVIDER,
  driftKey,
  RECONCILE_PROVIDERS,
  type Drift,
  type DriftKind,
  type KitTagMember,
  type ReconcileProvider,
  type StripeSubscriptionSummary,
} from "./classify";
import { actOn, readKnownDrift, type DriftOutcome } from "./act";
import { reconcileMetrics } from "./metrics";
import { actionFor, type DriftAction, type DriftPolicy } from "./policy";
import { readRecordSnapshot, type RecordRead } from "./snapshot";

// One reconciliation: read the record, read each provider (every page of every mapped access
// group, tag and running subscription status), classify (pure, ./classify.ts), and act on each
// drift by the policy, or only report it in a dry run. A provider whose request share runs out
// midway stops there and says so; what it read whole (a group, a tag) is still compared, and
// nothing is concluded from a part read.

export interface ReconcileClients {
  circle: CircleClient | null;
  kit: KitClient | null;
  stripe: StripeReader | null;
  /** Requests each client has sent (counted by its beforeRequest), read before and after a run. */
  requests: Record<ReconcileProvider, number>;
}

export interface ReconcilerDeps {
  db: Database;
  catalog: PlanCatalog;
  clients: ReconcileClients;
  policy: DriftPolicy;
  now?: () => Date;
}

export interface ReconcileOptions {
  dryRun: boolean;
  providers?: readonly ReconcileProvider[];
  /** Called as the run moves through the providers' groups, tags and statuses. */
  onProgress?: (progress: { provider: ReconcileProvider; done: number; total: number }) => void;
}

export type ProviderStatus =
  | { status: "done"; requests: number }
  | { status: "skipped"; requests: 0; reason: string }
  | { status: "stopped"; requests: number; reason: string };

export interface DriftEntry extends Drift {
  provider: ReconcileProvider;
  action: DriftAction;
  outcome: DriftOutcome;
  ticketId?: string;
}

export interface ReconcileReport {
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  customers: number;
  providers: Partial<Record<ReconcileProvider, ProviderStatus>>;
  drift: DriftEntry[];
  /** New drift per kind (drift already handed to a person is `known`, not counted here). */
  found: Record<DriftKind, number>;
  outcomes: Record<DriftOutcome, number>;
}

const isSpent = (error: unknown): error is ShareSpentError | BudgetExhaustedError => error instanceof ShareSpentError || error instanceof BudgetExhaustedError;

/**
 * Why a provider's pass stopped early: its budget, or the provider failing (down, refusing the
 * credentials). Either way the run goes on with the others and says so, instead of failing whole.
 */
function stoppedReason(provider: ReconcileProvider, error: unknown, done: number, total: number, unit: string): string {
  if (isSpent(error)) return spentReason(provider, error, done, total, unit);
  return `stopped: ${provider} failed (${(error as Error).message}); ${done} of ${total} ${unit} read`;
}

function spentReason(provider: ReconcileProvider, error: ShareSpentError | BudgetExhaustedError, done: number, total: number, unit: string): string {
  const minutes = Math.ceil(error.retryAfterMs / 60_000);
  const period = { window: "rate window", day: "daily quota", month: "monthly quota" }[error.limit];
  const which = error instanceof ShareSpentError ? `the reconciler's share of ${provider}'s ${period}` : `${provider}'s request budget (${period})`;
  return `stopped: ${which} is spent; ${done} of ${total} ${unit} read; it reopens in about ${minutes} min`;
}

interface ProviderPass<Snapshot> {
  snapshot: Snapshot;
  status: ProviderStatus;
}

async function readCircle(
  circle: CircleClient,
  record: RecordRead,
  groups: number[],
  progress: (done: number) => void,
): Promise<ProviderPass<{ groups: Map<number, number[]>; accepted: Set<number> }>> {
  const read = new Map<number, number[]>();
  const accepted = new Set<number>();
  try {
    for (const accessGroupId of groups) {
      read.set(accessGroupId, await circle.listAccessGroupMemberIds(accessGroupId));
      progress(read.size);
    }
    // Invited members still in their group: did they accept? One listing of the community when
    // that is fewer requests than one search each.
    const invited = record.grants.filter((grant) => grant.state === "invited" && grant.circleMemberId !== null && read.get(grant.accessGroupId)?.includes(grant.circleMemberId));
    const pending = new Set(invited.map((grant) => grant.circleMemberId!));
    const answer = (members: CircleMember[]) => {
      for (const member of members) if (pending.delete(member.id) && member.acceptedInvitation) accepted.add(member.id);
    };
    if (pending.size > 1) {
      const first = await circle.listMembersPage(1, MEMBERS_PAGE_SIZE);
      answer(first.members);
      if (!first.hasNextPage) pending.clear();
      else if (first.count !== null && listingIsCheaper(pending.size, first.count - MEMBERS_PAGE_SIZE)) {
        let page = first;
        for (let number = 2; page.hasNextPage; number++) {
          page = await circle.listMembersPage(number, MEMBERS_PAGE_SIZE);
          answer(page.members);
        }
        // Listed nowhere: no longer in the community, so not accepted either.
        pending.clear();
      }
    }
    for (const [memberId, email] of emailsOfMembers(record, invited, pending)) {
      const member = await circle.findMemberByEmail(email);
      if (member?.acceptedInvitation && member.id === memberId) accepted.add(memberId);
    }
    return { snapshot: { groups: read, accepted }, status: { status: "done", requests: 0 } };
  } catch (error) {
    return { snapshot: { groups: read, accepted }, status: { status: "stopped", requests: 0, reason: stoppedReason("circle", error, read.size, groups.length, "access groups") } };
  }
}

/** The address each invited member was granted at: what Circle's search takes. */
function emailsOfMembers(record: RecordRead, invited: RecordRead["grants"], memberIds: Set<number>): Map<number, string> {
  const emailOf = new Map([...record.customerByEmail].map(([email, customerId]) => [customerId, email]));
  const emails = new Map<number, string>();
  for (const grant of invited) {
    const email = emailOf.get(grant.customerId);
    if (grant.circleMemberId !== null && memberIds.has(grant.circleMemberId) && email) emails.set(grant.circleMemberId, email);
  }
  return emails;
}

async function readKit(kit: KitClient, tags: number[], progress: (done: number) => void): Promise<ProviderPass<{ tags: Map<number, KitTagMember[]> }>> {
  const read = new Map<number, KitTagMember[]>();
  try {
    for (const tagId of tags) {
      const subscribers = await kit.listTagSubscribers(tagId);
      read.set(
        tagId,
        subscribers.map((subscriber) => ({ subscriberId: subscriber.id, email: subscriber.email, state: subscriber.state })),
      );
      progress(read.size);
    }
    return { snapshot: { tags: read }, status: { status: "done", requests: 0 } };
  } catch (error) {
    return { snapshot: { tags: read }, status: { status: "stopped", requests: 0, reason: stoppedReason("kit", error, read.size, tags.length, "tags") } };
  }
}

async function readStripe(stripe: StripeReader, progress: (done: number) => void): Promise<ProviderPass<{ subscriptions: StripeSubscriptionSummary[] } | null>> {
  const subscriptions: StripeSubscriptionSummary[] = [];
  let done = 0;
  try {
    for (const status of RUNNING_SUBSCRIPTION_STATUSES) {
      subscriptions.push(...(await stripe.listSubscriptions(status)));
      progress(++done);
    }
    return { snapshot: { subscriptions }, status: { status: "done", requests: 0 } };
  } catch (error) {
    // Without every running subscription, an entitlement missing from the list proves nothing.
    return { snapshot: null, status: { status: "stopped", requests: 0, reason: stoppedReason("stripe", error, done, RUNNING_SUBSCRIPTION_STATUSES.length, "statuses") } };
  }
}

const zeroOutcomes = (): Record<DriftOutcome, number> => ({ repaired: 0, ticketed: 0, reported: 0, known: 0, superseded: 0, would_repair: 0, would_ticket: 0 });

export async function reconcile(deps: ReconcilerDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const { db, catalog, clients, policy } = deps;
  const now = deps.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const wanted = options.providers ?? RECONCILE_PROVIDERS;
  const record = await readRecordSnapshot(db);
  const known = await readKnownDrift(db);
  const providers: ReconcileReport["providers"] = {};
  const drift: Drift[] = [];

  const pass = async <S>(provider: ReconcileProvider, total: number, read: (progress: (done: number) => void) => Promise<ProviderPass<S>>, classify: (snapshot: S) => Drift[]) => {
    const before = clients.requests[provider];
    options.onProgress?.({ provider, done: 0, total });
    const result = await read((done) => options.onProgress?.({ provider, done, total }));
    drift.push(...classify(result.snapshot));
    providers[provider] = { ...result.status, requests: clients.requests[provider] - before } as ProviderStatus;
  };

  for (const provider of wanted) {
    if (provider === "circle") {
      if (!clients.circle) providers.circle = { status: "skipped", requests: 0, reason: "Circle is not configured (CIRCLE_API_TOKEN)" };
      else {
        const groups = [...catalogAccessGroupIds(catalog)];
        const circle = clients.circle;
        await pass("circle", groups.length, (progress) => readCircle(circle, record, groups, progress), (snapshot) => classifyCircle(record, snapshot));
      }
    } else if (provider === "kit") {
      if (!clients.kit) providers.kit = { status: "skipped", requests: 0, reason: "Kit is not configured (KIT_API_KEY)" };
      else {
        const tags = [...managedTagIds(catalog)];
        const kit = clients.kit;
        await pass("kit", tags.length, (progress) => readKit(kit, tags, progress), (snapshot) => classifyKit(record, snapshot));
      }
    } else if (!clients.stripe) {
      providers.stripe = { status: "skipped", requests: 0, reason: "Stripe is not configured (STRIPE_SECRET_KEY)" };
    } else {
      const stripe = clients.stripe;
      await pass("stripe", RUNNING_SUBSCRIPTION_STATUSES.length, (progress) => readStripe(stripe, progress), (snapshot) => (snapshot ? classifyStripe(record, snapshot) : []));
    }
  }

  const entries: DriftEntry[] = [];
  const outcomes = zeroOutcomes();
  const found = Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, 0])) as Record<DriftKind, number>;
  const counters = reconcileMetrics();
  for (const item of drift.filter((candidate) => !record.inFlight.has(inFlightKeyOf(candidate)))) {
    const provider = DRIFT_PROVIDER[item.kind];
    const action = actionFor(policy, item);
    const key = driftKey(item);
    if (known.has(key)) {
      entries.push({ ...item, provider, action, outcome: "known", ticketId: known.get(key) ?? undefined });
      outcomes.known++;
      continue;
    }
    found[item.kind]++;
    if (!options.dryRun) counters.driftFound.inc({ provider, kind: item.kind });
    const result = options.dryRun
      ? { outcome: action === "repair" ? ("would_repair" as const) : action === "ticket" ? ("would_ticket" as const) : ("reported" as const) }
      : await actOn({ db, catalog, stripe: clients.stripe, now }, item, action, record, key);
    if (result.outcome === "repaired") counters.driftRepaired.inc({ provider, kind: item.kind });
    outcomes[result.outcome]++;
    entries.push({ ...item, provider, action, ...result });
  }
  return { dryRun: options.dryRun, startedAt, finishedAt: now().toISOString(), customers: record.customerCount, providers, drift: entries, found, outcomes };
}

/** The key under which the record's in-flight jobs are listed (snapshot.inFlight). */
function inFlightKeyOf(drift: Drift): string {
  const target = drift.target;
  if (target.type === "access_group") return `${drift.customerId}:group:${target.accessGroupId}`;
  if (target.type === "tag") return `${drift.customerId}:tag:${target.tagId}`;
  return `${drift.customerId}:sub:${target.subscriptionId}`;
}
