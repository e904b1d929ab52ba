import crypto from "node:crypto";
import os from "node:os";
import type { Database } from "../db";
import { log, withCorrelation } from "../log";
import { metrics } from "../metrics";
import { beat, forgetWorker } from "./heartbeat";
import { classifyJobError, failureMessage, JobFailure } from "./errors";
import { isJobKind, JOB_KINDS, type JobKind, type JobPayload } from "./kinds";
import {
  claimJobs,
  completeJob,
  deadLetterJob,
  defaultBackoff,
  deferProviderJobs,
  rescheduleJob,
  retryDelayMs,
  type BackoffPolicy,
  type ClaimedJob,
} from "./queue";

// Claims due jobs, runs them with bounded concurrency, and settles each one as the error
// classification (./errors) says: done, retried later with backoff (a provider's Retry-After
// as the floor), put back until its provider's budget reopens, or dead-lettered after its last
// attempt or at once when retrying cannot help. Any number of workers can run side by side.

export interface JobHandler<Payload> {
  run(payload: Payload, job: ClaimedJob): Promise<void>;
  /** Called once a job is dead-lettered, to put the failure on the record. */
  onDead?(payload: Payload, error: string, job: ClaimedJob): Promise<void>;
}

/** One handler per job kind: a kind without one does not compile. */
export type JobHandlers = { [K in JobKind]: JobHandler<JobPayload<K>> };

export interface WorkerOptions {
  db: Database;
  handlers: JobHandlers;
  concurrency?: number;
  pollMs?: number;
  /** How long a claimed job is ours; a worker that dies releases it when this runs out. */
  leaseMs?: number;
  backoff?: BackoffPolicy;
  workerId?: string;
  onSettled?: (job: ClaimedJob, outcome: "succeeded" | "retry" | "dead") => void;
  /** How often the running loop records its heartbeat (readiness wants a fresh one). */
  heartbeatMs?: number;
}

export interface Worker {
  start(): void;
  stop(): Promise<void>;
  /** Claims and runs one batch; resolves with how many jobs it ran. */
  runOnce(): Promise<number>;
  readonly id: string;
}

const giveUp = (message: string) => new JobFailure(message, { next: "give_up" });

/** A job applying a webhook event logs under that delivery's id (its ledger row id); any other under its own id. */
function correlationIdOf(job: ClaimedJob): string {
  const ledgerId = (job.payload as { ledgerId?: unknown } | null)?.ledgerId;
  return typeof ledgerId === "string" ? ledgerId : job.id;
}

/** The kind's handler run on the payload its schema parsed. */
async function runJob(handlers: JobHandlers, job: ClaimedJob) {
  if (!isJobKind(job.kind)) throw giveUp(`no handler for job kind ${job.kind}`);
  // A lost lease costs no attempt, so a job that kills or hangs its worker every time is stopped here.
  if (job.leasesLost >= job.maxAttempts) throw giveUp(`its lease ran out ${job.leasesLost} times without an outcome: it may be what stops its worker`);
  const handler = handlers[job.kind] as JobHandler<unknown>;
  await handler.run(JOB_KINDS[job.kind].payload.parse(job.payload), job);
}

async function runDeadHook(handlers: JobHandlers, job: ClaimedJob, message: string) {
  if (!isJobKind(job.kind)) return;
  const handler = handlers[job.kind] as JobHandler<unknown>;
  const payload = JOB_KINDS[job.kind].payload.safeParse(job.payload);
  if (handler.onDead && payload.success) await handler.onDead(payload.data, message, job);
}

export function createWorker(options: WorkerOptions): Worker {
  const concurrency = options.concurrency ?? 4;
  const pollMs = options.pollMs ?? 100;
  const leaseMs = options.leaseMs ?? 60_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const backoff = options.backoff ?? defaultBackoff;
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  const { db, handlers } = options;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  // Providers whose budget ran out, until it reopens: their jobs stay queued instead of each
  // being claimed only to be put back.
  const pausedUntil = new Map<string, number>();
  const claim = (limit: number) => {
    const now = Date.now();
    const paused = [...pausedUntil].filter(([, until]) => until > now).map(([provider]) => provider);
    return claimJobs(db, workerId, limit, leaseMs, paused);
  };

  // Counted here, so every worker and drain counts alike; onSettled is the caller's own.
  function settled(job: ClaimedJob, outcome: "succeeded" | "retry" | "dead") {
    metrics().jobsSettled.inc({ kind: job.kind, outcome });
    if (outcome !== "retry") metrics().jobAttempts.observe({ kind: job.kind }, job.attempts);
    options.onSettled?.(job, outcome);
  }

  // A failure of the bookkeeping itself (the database lost, a deadlock) leaves the job to its
  // lease, after which any worker runs it again; it must not reject into the loop and stop the process.
  const settle = (job: ClaimedJob) =>
    withCorrelation(correlationIdOf(job), () =>
      settleJob(job).catch((error: Error) => log.error({ jobId: job.id, kind: job.kind, err: error.message }, "job could not be settled; it runs again when its lease ends")),
    );
  async function settleJob(job: ClaimedJob) {
    try {
      await runJob(handlers, job);
      await completeJob(db, job.id, workerId);
      settled(job, "succeeded");
    } catch (error) {
      const message = failureMessage(error);
      const verdict = classifyJobError(error);
      if (verdict.next === "wait_for_budget") {
        // Waiting for our own budget is not a failed attempt; the provider's other queued jobs
        // wait for the same reopening instead of each being claimed to find out.
        const reopensAt = new Date(Date.now() + verdict.reopensInMs);
        pausedUntil.set(verdict.provider, reopensAt.getTime());
        await rescheduleJob(db, job.id, workerId, reopensAt, message, { refundAttempt: true });
        await deferProviderJobs(db, verdict.provider, reopensAt);
        settled(job, "retry");
        return;
      }
      if (verdict.next === "retry" && job.attempts < job.maxAttempts) {
        const delay = retryDelayMs(job.attempts, backoff, verdict.retryAfterMs);
        await rescheduleJob(db, job.id, workerId, new Date(Date.now() + delay), message);
        const entry = { jobId: job.id, kind: job.kind, attempt: job.attempts, delayMs: delay, err: message };
        if (verdict.expected) log.info(entry, "job waiting for an earlier event; retrying");
        else log.warn(entry, "job failed; retrying");
        settled(job, "retry");
        return;
      }
      if (await deadLetterJob(db, job.id, workerId, message)) {
        log.error({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: message }, "job dead-lettered");
        await runDeadHook(handlers, job, message).catch((hookError: Error) => log.error({ jobId: job.id, err: hookError.message }, "dead-letter hook failed"));
      }
      settled(job, "dead");
    }
  }

  async function runOnce(): Promise<number> {
    const jobs = await claim(concurrency);
    await Promise.all(jobs.map(settle));
    return jobs.length;
  }

  // Keeps every slot busy: a finished job frees its slot and wakes the loop at once (its
  // follow-up jobs are often due now); with nothing due, it polls every pollMs.
  const inFlight = new Set<Promise<void>>();
  const idle = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      wake = null;
    });

  async function run() {
    let beatAt = 0;
    while (running) {
      if (Date.now() - beatAt >= heartbeatMs) {
        beatAt = Date.now();
        await beat(db, workerId, "worker").catch((error: Error) => log.error({ err: error.message }, "worker: heartbeat failed"));
      }
      const free = concurrency - inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const jobs = await claim(free);
          claimed = jobs.length;
          for (const job of jobs) {
            const settling: Promise<void> = settle(job).finally(() => {
              inFlight.delete(settling);
              wake?.();
            });
            inFlight.add(settling);
          }
        } catch (error) {
          log.error({ err: (error as Error).message }, "worker: claim failed");
        }
      }
      if (running && (free === 0 || claimed < free)) await idle();
    }
    await Promise.all(inFlight);
    await forgetWorker(db, workerId).catch((error: Error) => log.warn({ err: error.message }, "worker: could not remove its heartbeat"));
  }

  return {
    id: workerId,
    runOnce,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
