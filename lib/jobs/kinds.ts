import { z } from "zod";
import type { Intent } from "../lifecycle/intents";

// The registry of job kinds: for each, the payload's schema, its priority, what a customer is
// told the job is doing, and the one function that builds its dedupe key. A job is enqueued
// only through `jobRow`, typed by kind, so a misspelled kind or a wrong payload does not
// compile; the worker parses every claimed payload with the same schema. What each kind does
// is in lib/effects (the outbox never imports what its jobs do).

const customerId = z.string().min(1);
const grant = z.object({ customerId, accessGroupId: z.number().int(), version: z.number().int() });
const tag = z.object({ customerId, tagId: z.number().int(), version: z.number().int() });

interface KindSpec<Payload> {
  payload: z.ZodType<Payload>;
  /**
   * A head start in seconds: jobs are claimed in order of runAt + priority (lib/jobs/queue.ts
   * `claimJobs`), so events are applied before their side effects and access goes before
   * email, yet no backlog of one kind holds another back for longer than the difference.
   */
  priority: number;
  /** What a customer is told the job is doing while it is pending; null: nothing they wait for. */
  label: string | null;
  /** The dedupe key: one job per decision, whoever enqueues it and however often. */
  key(payload: Payload): string;
}

const kind = <Payload>(spec: KindSpec<Payload>) => spec;

export const JOB_KINDS = {
  /**
   * Apply one recorded webhook event to its customer's record. `replay` names an admin's replay
   * of a stored event: a job of its own beside the one the delivery made.
   */
  "lifecycle.apply": kind({
    payload: z.object({ ledgerId: z.string().min(1), replay: z.string().min(1).optional() }),
    priority: 0,
    label: "payment processing",
    key: ({ ledgerId, replay }) => (replay === undefined ? `lifecycle.apply:${ledgerId}` : `lifecycle.apply:${ledgerId}:replay:${replay}`),
  }),
  /** Re-derive a record when time alone changes it (a grace window or a paid period ends). */
  "lifecycle.recheck": kind({
    payload: z.object({ customerId, at: z.iso.datetime().optional() }),
    priority: 30,
    label: null,
    key: ({ customerId, at }) => `lifecycle.recheck:${customerId}:${at ?? "now"}`,
  }),
  "circle.grant": kind({ payload: grant, priority: 10, label: "community access", key: (p) => intentKey("circle.grant", p.customerId, `group:${p.accessGroupId}`, p.version) }),
  "circle.revoke": kind({
    payload: grant,
    priority: 10,
    label: "community access removal",
    key: (p) => intentKey("circle.revoke", p.customerId, `group:${p.accessGroupId}`, p.version),
  }),
  /**
   * Look again whether an invited member accepted Circle's invitation (Circle sends no webhook):
   * `step` is the place in the follow-up schedule (lib/effects/invitations.ts).
   */
  "circle.invitation_check": kind({
    payload: grant.extend({ step: z.number().int().min(0), invitedAt: z.iso.datetime() }),
    priority: 35,
    label: null,
    key: (p) => `${intentKey("circle.invitation_check", p.customerId, `group:${p.accessGroupId}`, p.version)}:step${p.step}`,
  }),
  /** One scheduled reconciliation (lib/reconcile), at the start of its interval's slot; it schedules the next. */
  "reconcile.run": kind({
    payload: z.object({ slot: z.iso.datetime() }),
    priority: 40,
    label: null,
    key: ({ slot }) => `reconcile.run:${slot}`,
  }),
  /** A reconciliation a person asked for (lib/reconcile/requests.ts): its ReconcileRun row says what to run. */
  "reconcile.requested": kind({
    payload: z.object({ runId: z.uuid() }),
    priority: 40,
    label: null,
    key: ({ runId }) => `reconcile.requested:${runId}`,
  }),
  /** One hourly prune of finished jobs past their retention (lib/jobs/retention.ts); it schedules the next. */
  "jobs.prune": kind({
    payload: z.object({ slot: z.iso.datetime() }),
    priority: 45,
    label: null,
    key: ({ slot }) => `jobs.prune:${slot}`,
  }),
  "kit.tag": kind({ payload: tag, priority: 20, label: "email list update", key: (p) => intentKey("kit.tag", p.customerId, `tag:${p.tagId}`, p.version) }),
  "kit.untag": kind({ payload: tag, priority: 20, label: "email list update", key: (p) => intentKey("kit.untag", p.customerId, `tag:${p.tagId}`, p.version) }),
  "kit.update_email": kind({
    // changeId: one move per change of address, so a change back to an earlier address moves the
    // subscriber again (the key was the address alone; jobs queued then have none).
    payload: z.object({ customerId, subscriberId: z.number().int(), email: z.string().min(3), changeId: z.uuid().optional() }),
    priority: 20,
    label: "email address update",
    key: ({ customerId, email, changeId }) => `kit.update_email:${customerId}:${email}${changeId ? `:${changeId}` : ""}`,
  }),
};

function intentKey(kind: string, customerId: string, target: string, version: number) {
  return `${kind}:${customerId}:${target}:v${version}`;
}

export type JobKind = keyof typeof JOB_KINDS;
export type JobPayload<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]["payload"]>;

export const JOB_KIND_NAMES = Object.keys(JOB_KINDS) as JobKind[];

export const isJobKind = (value: string): value is JobKind => Object.hasOwn(JOB_KINDS, value);

/** The provider a kind's jobs call: the part of its name before the dot ("circle.grant": circle). */
export const providerOf = (kind: string) => kind.split(".", 1)[0]!;

/** Each priority, with the providers its kinds call. */
export function providersAtPriority(kinds: ReadonlyArray<{ name: string; priority: number }>): Map<number, Set<string>> {
  return kinds.reduce((map, { name, priority }) => map.set(priority, (map.get(priority) ?? new Set<string>()).add(providerOf(name))), new Map<number, Set<string>>());
}

/** The priorities every kind of which calls one of `providers`: nothing of theirs can run while those providers are paused. */
export function prioritiesCalledOnlyBy(providers: readonly string[], atPriority: ReadonlyMap<number, ReadonlySet<string>>): number[] {
  return [...atPriority].filter(([, called]) => [...called].every((provider) => providers.includes(provider))).map(([priority]) => priority);
}

const PROVIDERS_AT_PRIORITY = providersAtPriority(JOB_KIND_NAMES.map((name) => ({ name, priority: JOB_KINDS[name].priority })));

/** `prioritiesCalledOnlyBy` for the registry's kinds. */
export const prioritiesOnlyOf = (providers: readonly string[]) => prioritiesCalledOnlyBy(providers, PROVIDERS_AT_PRIORITY);

export interface JobOptions {
  runAt?: Date;
  customerId?: string | null;
  journeyId?: string | null;
  maxAttempts?: number;
}

/** A job row with every default filled in, as the outbox stores it (see `enqueue_jobs` in the migrations). */
export interface JobRow {
  kind: JobKind;
  payload: unknown;
  dedupeKey: string;
  priority: number;
  runAt: string;
  customerId: string | null;
  journeyId: string | null;
  maxAttempts: number;
}

const DEFAULT_MAX_ATTEMPTS = 8;

/** The one way to make a job: its kind's payload, priority and dedupe key, and the defaults. */
export function jobRow<K extends JobKind>(kind: K, payload: JobPayload<K>, options: JobOptions = {}): JobRow {
  const spec = JOB_KINDS[kind] as unknown as KindSpec<JobPayload<K>>;
  return {
    kind,
    payload,
    dedupeKey: spec.key(payload),
    priority: spec.priority,
    runAt: (options.runAt ?? new Date()).toISOString(),
    customerId: options.customerId ?? null,
    journeyId: options.journeyId ?? null,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}

/** The kinds whose pending jobs a customer is shown, with what each is doing. */
export const CUSTOMER_VISIBLE_WORK: ReadonlyMap<string, string> = new Map(
  JOB_KIND_NAMES.flatMap((name) => {
    const label = JOB_KINDS[name].label;
    return label === null ? [] : [[name, label] as const];
  }),
);

/** The job that carries out a lifecycle intent for a customer. */
export function intentJob(customerId: string, intent: Intent): JobRow {
  const options = { customerId };
  switch (intent.kind) {
    case "circle.grant":
    case "circle.revoke":
      return jobRow(intent.kind, { customerId, accessGroupId: intent.accessGroupId, version: intent.version }, options);
    case "kit.tag":
    case "kit.untag":
      return jobRow(intent.kind, { customerId, tagId: intent.tagId, version: intent.version }, options);
  }
}

export const dedupeKey = (customerId: string, intent: Intent) => intentJob(customerId, intent).dedupeKey;
