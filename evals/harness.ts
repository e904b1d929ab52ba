import type { LanguageModel } from "ai";
import { createChatHandlers } from "../lib/chat/handler";
import { signIdentityToken } from "../lib/identity";
import type { JobKind } from "../lib/jobs/kinds";
import { createWorker, type Worker } from "../lib/jobs/worker";
import { createChatRateLimiter } from "../lib/ratelimit";
import { startStack, TEST_BACKOFF, type Stack } from "../lib/sandbox/stack";
import {
  chargeRefunded,
  checkoutCompleted,
  customerUpdated,
  disputeCreated,
  invoiceEvent,
  invoicePaymentPaid,
  newPurchase,
  subscriptionEvent,
  type Purchase,
} from "../lib/sandbox/stripe-events";
import { detectLanguage, type Language } from "../lib/chat/language";
import { allowanceFromEndState, checkProcedure, type Allowance, type StateChangingTool } from "./procedure";
import type { Judge } from "./judge";
import { ticketReference } from "../lib/record/entitlement-view";
import { findCustomerId } from "../lib/record/read";
import { openOrReuseTicket } from "../lib/support/tickets";
import type { Claim, EndState, Fact, PlanKey, Scenario, ScoreContext, Settle, Step } from "./scenario";
import { compareEndState, scoreReply } from "./score";
import type { Exchange, UserSimulator } from "./user-simulator";

// Runs one trial of a scenario for real: a fresh database, the fake Circle and Kit over HTTP,
// the history sent as signed webhooks through the production handlers and applied by the
// production worker, then the conversation through the production chat handler (its UI
// message stream read the way the widget reads it), then the end state read back.
//
// A trial fails on a reply (a required fact missing, a forbidden claim made), on the end state,
// or on procedure (./procedure: a state-changing tool the customer did not ask for).
// With a user simulator, a multi-turn scenario's customer is played by an LLM that pursues the
// scripted sentences as its goal; see `simulatedConversation` for how that is scored.

export interface ToolCallRecord {
  tool: string;
  input: unknown;
  output?: unknown;
  error?: string;
  /** The input was refused before the tool ran. */
  rejected?: boolean;
}

export interface TurnRecord {
  user: string;
  reply: string;
  status: number;
  toolCalls: ToolCallRecord[];
  failures: string[];
  /** What the scenario says the customer asked for in this turn (procedure check), when it says. */
  asks?: StateChangingTool[];
}

export interface JudgeDisagreement {
  /** The turn judged (1-based), or "conversation" for a simulated one judged as a whole. */
  turn: number | "conversation";
  reply: string;
  rulesPass: boolean;
  ruleFailures: string[];
  judgePass: boolean;
  judgeFailures: string[];
}

export interface TrialResult {
  scenario: string;
  category: string;
  trial: number;
  passed: boolean;
  failures: string[];
  turns: TurnRecord[];
  expected: EndState;
  actual: EndState | null;
  durationMs: number;
  /** Scripted: the scenario's own sentences; simulated: an LLM played the customer. */
  mode: "scripted" | "simulated";
  /** How a simulated conversation ended: the simulator said the goal was met, or the turn limit. */
  simulationEnd?: "goal" | "limit";
  /** The procedure violations among `failures`. */
  procedure: string[];
  /** Replies on which the judge and the rules disagree (only with a judge). */
  judgeDisagreements: JudgeDisagreement[];
}

const IDENTITY_SECRET = "eval-identity-secret-0123456789abcdef";
const PRICE: Record<PlanKey, string> = { community_monthly: "price_demo_community_monthly", masterclass: "price_demo_masterclass" };

class HistoryError extends Error {}

/** Reads an AI SDK UI message stream (server-sent events) into the reply text and tool calls. */
export async function readUiStream(response: Response): Promise<{ reply: string; toolCalls: ToolCallRecord[] }> {
  const text = await response.text();
  const calls = new Map<string, ToolCallRecord>();
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const chunk = JSON.parse(line.slice(6)) as Record<string, unknown> & { type: string };
    switch (chunk.type) {
      case "text-start":
        current = [];
        break;
      case "text-delta":
        current?.push(String(chunk.delta));
        break;
      case "text-end":
        if (current) blocks.push(current.join(""));
        current = null;
        break;
      case "tool-input-available":
        calls.set(String(chunk.toolCallId), { tool: String(chunk.toolName), input: chunk.input });
        break;
      case "tool-output-available": {
        const call = calls.get(String(chunk.toolCallId));
        if (call) call.output = chunk.output;
        break;
      }
      case "tool-input-error":
      case "tool-output-error": {
        const call = calls.get(String(chunk.toolCallId)) ?? { tool: String(chunk.toolName ?? "unknown"), input: chunk.input };
        call.error = String(chunk.errorText);
        if (chunk.type === "tool-input-error") call.rejected = true;
        calls.set(String(chunk.toolCallId), call);
        break;
      }
      case "error":
        blocks.push(String(chunk.errorText));
        break;
    }
  }
  return { reply: blocks.join("\n").trim(), toolCalls: [...calls.values()] };
}

interface TrialContext {
  stack: Stack;
  stepWorker: Worker;
  purchases: Map<string, Purchase>;
  startedAt: number;
  /** Events sent, by history step index, for redelivery. */
  sent: Map<number, { provider: "stripe" | "kit"; body: object }>;
}

function buildPurchases(scenario: Scenario, startedAt: number): Map<string, Purchase> {
  const purchases = new Map<string, Purchase>();
  for (const [key, spec] of Object.entries(scenario.purchases)) {
    const at = startedAt - (spec.boughtAgo ?? 3_600);
    const shared = spec.sameCustomerAs ? purchases.get(spec.sameCustomerAs) : undefined;
    if (spec.sameCustomerAs && !shared) throw new HistoryError(`purchase ${key} names ${spec.sameCustomerAs}, which is not declared before it`);
    purchases.set(
      key,
      newPurchase({
        email: spec.email,
        name: spec.name ?? "Sam Member",
        priceId: PRICE[spec.plan ?? "community_monthly"],
        at,
        periodEnd: at + (spec.periodDays ?? 30) * 86_400,
        ...(shared ? { customerId: shared.customerId } : {}),
      }),
    );
  }
  return purchases;
}

function eventFor(ctx: TrialContext, step: Exclude<Step, { kind: "fault" | "settle" | "redeliver" | "invite_accepted" | "ticket" }>): { provider: "stripe" | "kit"; body: object } {
  const at = (offset: number | undefined) => (offset === undefined ? undefined : ctx.startedAt + offset);
  if (step.kind === "kit_unsubscribed") {
    const subscriber = ctx.stack.kit.findSubscriber(step.email);
    if (!subscriber) throw new HistoryError(`Kit has no subscriber ${step.email} to unsubscribe`);
    const created = new Date().toISOString();
    return {
      provider: "kit",
      body: { events: [{ id: crypto.randomUUID(), type: "subscriber.unsubscribed", created, data: { subscriber: { id: subscriber.id, email_address: step.email, state: "cancelled" } } }] },
    };
  }
  const p = ctx.purchases.get(step.purchase);
  if (!p) throw new HistoryError(`step names purchase ${step.purchase}, which the scenario does not declare`);
  switch (step.kind) {
    case "checkout":
      return { provider: "stripe", body: checkoutCompleted(p, { created: at(step.at), paymentStatus: step.paymentStatus }) };
    case "subscription":
      return {
        provider: "stripe",
        body: subscriptionEvent(p, `customer.subscription.${step.event}`, {
          created: at(step.at) ?? p.at,
          status: step.status,
          cancelAtPeriodEnd: step.cancelAtPeriodEnd,
          endedAt: at(step.endedAt) ?? null,
          priceId: step.plan ? PRICE[step.plan] : undefined,
        }),
      };
    case "invoice_paid":
      return { provider: "stripe", body: invoiceEvent(p, "invoice.paid", { created: at(step.at), invoiceId: step.invoice, priceId: step.plan ? PRICE[step.plan] : undefined }) };
    case "invoice_failed":
      return { provider: "stripe", body: invoiceEvent(p, "invoice.payment_failed", { created: at(step.at), invoiceId: step.invoice }) };
    case "invoice_payment_paid":
      return { provider: "stripe", body: invoicePaymentPaid(p, { created: at(step.at), invoiceId: step.invoice }) };
    case "refund":
      return { provider: "stripe", body: chargeRefunded(p, { created: at(step.at), partial: step.partial }) };
    case "dispute":
      return { provider: "stripe", body: disputeCreated(p, { created: at(step.at) }) };
    case "email_changed":
      return { provider: "stripe", body: customerUpdated(p, step.email, { created: at(step.at) }) };
  }
}

/** Due jobs of one kind, or (no kind) due jobs not tried yet. */
async function dueJobs(ctx: TrialContext, filter: { kind: JobKind } | { untried: true }): Promise<number> {
  const [row] = await ctx.stack.db.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Job" WHERE status = 'queued' AND "runAt" <= now() AND ($1::text IS NULL OR kind = $1) AND ($2::boolean IS NOT TRUE OR attempts = 0)`,
    ["kind" in filter ? filter.kind : null, "untried" in filter],
  );
  return row?.n ?? 0;
}

async function runWorker(ctx: TrialContext, until: Settle) {
  if (until === "all") return ctx.stack.drain();
  // One job at a time, highest priority first: the webhook applies run before any side effect.
  while ((await dueJobs(ctx, { kind: "lifecycle.apply" })) > 0) await ctx.stepWorker.runOnce();
  if (until === "attempted") {
    while ((await dueJobs(ctx, { untried: true })) > 0) await ctx.stepWorker.runOnce();
  }
}

async function runSteps(ctx: TrialContext, steps: Step[], indexBase: number) {
  let settled = true;
  for (const [offset, step] of steps.entries()) {
    if (step.kind === "settle") {
      await runWorker(ctx, step.until);
      settled = true;
      continue;
    }
    if (step.kind === "fault") {
      const fake = step.provider === "circle" ? ctx.stack.circle : ctx.stack.kit;
      if (step.state === "down") fake.fail({ status: 503, times: 1_000_000 });
      else fake.recover();
      continue;
    }
    if (step.kind === "invite_accepted") {
      const p = ctx.purchases.get(step.purchase);
      if (!p) throw new HistoryError(`step names purchase ${step.purchase}, which the scenario does not declare`);
      ctx.stack.circle.acceptInvitation(p.email);
      continue;
    }
    if (step.kind === "ticket") {
      // The ticket belongs to the record as the events so far left it.
      if (!settled) await runWorker(ctx, "all");
      settled = true;
      const p = ctx.purchases.get(step.purchase);
      if (!p) throw new HistoryError(`step names purchase ${step.purchase}, which the scenario does not declare`);
      const customerId = await findCustomerId(ctx.stack.db, p.email);
      if (!customerId) throw new HistoryError(`history step ${indexBase + offset} opens a ticket for ${p.email}, who has no record`);
      await openOrReuseTicket(ctx.stack.db, { customerId, identity: p.email, category: step.category, summary: step.summary, source: "chat" });
      continue;
    }
    const event = step.kind === "redeliver" ? ctx.sent.get(step.step) : eventFor(ctx, step);
    if (!event) throw new HistoryError(`redeliver names step ${(step as { step: number }).step}, which sent no event`);
    if (step.kind !== "redeliver") ctx.sent.set(indexBase + offset, event);
    const response = event.provider === "stripe" ? await ctx.stack.postStripe(event.body) : await ctx.stack.postKit(event.body);
    if (response.status !== 200) throw new HistoryError(`history step ${indexBase + offset} (${step.kind}) was answered ${response.status}: ${await response.text()}`);
    settled = false;
  }
  if (!settled) await runWorker(ctx, "all");
}

async function jobIds(stack: Stack): Promise<Map<string, string>> {
  const rows = await stack.db.sql<{ id: string; kind: string }>(`SELECT id, kind FROM "Job"`);
  return new Map(rows.map((row) => [row.id, row.kind]));
}

async function readEndState(stack: Stack, conversationJobs: Record<string, number>): Promise<EndState> {
  const planOfGroup = new Map<number, string>();
  for (const plan of stack.catalog.plans) for (const id of plan.circleAccessGroupIds) planOfGroup.set(id, plan.key);
  const [customers] = await stack.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Customer"`);
  const entitlements = await stack.db.sql<{ plan: string; status: string }>(`SELECT "planKey" AS plan, status::text AS status FROM "Entitlement"`);
  const grants = await stack.db.sql<{ group: number; state: string }>(`SELECT "accessGroupId" AS "group", state::text AS state FROM "AccessGrant"`);
  const tickets = await stack.db.sql<{ category: string; status: string; journey: string | null; source: "chat" | "system"; notes: number }>(
    `SELECT t.category, t.status::text AS status, j.kind::text AS journey, t.source::text AS source,
            (SELECT count(*)::int FROM "TicketNote" n WHERE n."ticketId" = t.id) AS notes
       FROM "Ticket" t LEFT JOIN "Journey" j ON j.id = t."journeyId"`,
  );
  const circle = stack.catalog.plans.flatMap((plan) =>
    plan.circleAccessGroupIds.flatMap((groupId) => stack.circle.membersOf(groupId).map((email) => ({ plan: plan.key, email }))),
  );
  return {
    customers: customers?.n ?? 0,
    entitlements,
    access: grants.map((grant) => ({ plan: planOfGroup.get(grant.group) ?? String(grant.group), state: grant.state })),
    tickets,
    circle,
    conversationJobs,
  };
}

export interface TrialOptions {
  model: LanguageModel;
  /** Plays the customer of multi-turn scenarios (null or absent: the scenarios' own sentences). */
  userSimulator?: { simulator: UserSimulator; maxTurns: number } | null;
  /** An LLM judge beside the rules (evals/judge.ts, EVAL_JUDGE_*): it does not decide a trial; the report lists where it and the rules disagree. */
  judge?: Judge | null;
}

/** Claims forbidden in every scripted turn: what a simulated conversation, whose turns differ, must never say. */
function forbiddenThroughout(scenario: Scenario): Claim[] {
  const [first, ...rest] = scenario.turns.map((turn) => turn.mustNot ?? []);
  return (first ?? []).filter((claim) => rest.every((claims) => claims.some((other) => other.claim === claim.claim)));
}

/** Every fact some scripted turn requires, once each. */
function factsOfConversation(scenario: Scenario): Fact[] {
  const byName = new Map<string, Fact>();
  for (const turn of scenario.turns) for (const fact of turn.must ?? []) byName.set(fact.fact, fact);
  return [...byName.values()];
}

/** What a simulated conversation may do, when every scripted turn declares its asks: their sum. */
function declaredAllowance(scenario: Scenario): Allowance | null {
  if (!scenario.turns.every((turn) => turn.asks !== undefined)) return null;
  const allowance: Allowance = { resendInvite: 0, openBillingTicket: 0 };
  for (const turn of scenario.turns) for (const ask of turn.asks ?? []) allowance[ask] += 1;
  return allowance;
}

/**
 * What the record holds now, for facts that name a value: ticket references, access-until dates.
 * The reply's language is left for the scorer to read from the reply itself.
 */
async function scoreContext(stack: Stack): Promise<ScoreContext> {
  const tickets = await stack.db.sql<{ id: string }>(`SELECT id FROM "Ticket"`);
  const until = await stack.db.sql<{ at: string }>(
    `SELECT to_char(d AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS at FROM "Entitlement", LATERAL (VALUES ("accessUntil"), ("graceUntil")) AS v(d) WHERE d IS NOT NULL`,
  );
  return { ticketReferences: tickets.map((ticket) => ticketReference(ticket.id)), accessUntil: [...new Set(until.map((row) => row.at))] };
}

async function judgeReply(
  judge: Judge,
  turn: number | "conversation",
  reply: string,
  language: Language,
  expectations: { facts: Fact[]; forbidden: Claim[] },
  ruleFailures: string[],
): Promise<JudgeDisagreement | null> {
  const verdict = await judge.score({
    reply,
    language,
    facts: expectations.facts.map((fact) => fact.fact),
    forbidden: expectations.forbidden.map((claim) => claim.claim),
  });
  const rulesPass = ruleFailures.length === 0;
  if (verdict.pass === rulesPass) return null;
  return { turn, reply, rulesPass, ruleFailures, judgePass: verdict.pass, judgeFailures: verdict.failures };
}

export async function runTrial(scenario: Scenario, trial: number, options: TrialOptions): Promise<TrialResult> {
  const started = performance.now();
  const stack = await startStack();
  // One job at a time, for the partial settles; the stack's own worker drains everything.
  const stepWorker = createWorker({ db: stack.db, handlers: stack.handlers, concurrency: 1, backoff: TEST_BACKOFF });
  const startedAt = Math.floor(Date.now() / 1000);
  const turns: TurnRecord[] = [];
  const failures: string[] = [];
  const judgeDisagreements: JudgeDisagreement[] = [];
  let procedure: string[] = [];
  let actual: EndState | null = null;
  const simulation = scenario.turns.length > 1 ? (options.userSimulator ?? null) : null;
  let simulationEnd: TrialResult["simulationEnd"];
  try {
    const ctx: TrialContext = { stack, stepWorker, purchases: buildPurchases(scenario, startedAt), startedAt, sent: new Map() };
    await runSteps(ctx, scenario.history, 0);

    const chat = createChatHandlers({
      db: stack.db,
      catalog: stack.catalog,
      identitySecret: IDENTITY_SECRET,
      rateLimiter: createChatRateLimiter({ kind: "memory", keySecret: IDENTITY_SECRET }),
      model: options.model,
    });
    const identity = scenario.identity ?? Object.values(scenario.purchases)[0]?.email ?? "nobody@example.com";
    const token = await signIdentityToken(identity, IDENTITY_SECRET);
    const conversationId = `eval-${scenario.id}-${trial}`;
    const conversationJobs: Record<string, number> = {};
    let stepBase = scenario.history.length;

    /** One customer message through the chat: the reply, its tool calls, the jobs it enqueued. */
    const ask = async (index: number, say: string) => {
      const before = await jobIds(stack);
      const response = await chat.post(
        new Request("http://eval/api/chat", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ id: conversationId, messages: [{ id: `${conversationId}-u${index}`, role: "user", parts: [{ type: "text", text: say }] }] }),
        }),
      );
      const { reply, toolCalls } = response.ok ? await readUiStream(response) : { reply: await response.text(), toolCalls: [] };
      for (const [id, kind] of await jobIds(stack)) if (!before.has(id)) conversationJobs[kind] = (conversationJobs[kind] ?? 0) + 1;
      return { reply, toolCalls, status: response.status };
    };
    /** The state changes scripted before turn `index`, if any. */
    const landBefore = async (index: number) => {
      const steps = scenario.turns[index]?.before;
      if (!steps) return;
      await runSteps(ctx, steps, stepBase);
      stepBase += steps.length;
    };

    if (!simulation) {
      for (const [index, turn] of scenario.turns.entries()) {
        await landBefore(index);
        const { reply, toolCalls, status } = await ask(index, turn.say);
        const turnFailures = status === 200 ? scoreReply(reply, turn, await scoreContext(stack)) : [`the chat answered ${status}`];
        turns.push({ user: turn.say, reply, status, toolCalls, failures: turnFailures, ...(turn.asks ? { asks: turn.asks } : {}) });
        failures.push(...turnFailures.map((failure) => `turn ${index + 1}: ${failure}`));
        if (options.judge && status === 200) {
          const disagreement = await judgeReply(options.judge, index + 1, reply, detectLanguage(turn.say), { facts: turn.must ?? [], forbidden: turn.mustNot ?? [] }, turnFailures);
          if (disagreement) judgeDisagreements.push(disagreement);
        }
      }
    } else {
      // The simulator pursues the scripted sentences as its goal in its own words. The replies are
      // judged as a conversation: each fact a scripted turn requires must be stated in some reply,
      // no reply may make a claim that every scripted turn forbids, and the end state and the
      // procedure are judged as for scripted runs (asks pooled over the conversation).
      const goal = scenario.turns.map((turn) => turn.say);
      const transcript: Exchange[] = [];
      const forbidden = forbiddenThroughout(scenario);
      simulationEnd = "limit";
      for (let index = 0; index < simulation.maxTurns; index++) {
        await landBefore(index);
        const say = await simulation.simulator.next(goal, transcript);
        if (say === null) {
          simulationEnd = "goal";
          break;
        }
        const { reply, toolCalls, status } = await ask(index, say);
        const turnFailures = status === 200 ? scoreReply(reply, { mustNot: forbidden }, await scoreContext(stack)) : [`the chat answered ${status}`];
        turns.push({ user: say, reply, status, toolCalls, failures: turnFailures });
        failures.push(...turnFailures.map((failure) => `turn ${index + 1}: ${failure}`));
        transcript.push({ customer: say, bot: reply });
      }
      if (turns.length === 0) failures.push("the simulated customer sent no message");
      const replies = turns.map((turn) => turn.reply).join("\n\n");
      const facts = factsOfConversation(scenario);
      const perReply = new Set(turns.flatMap((turn) => turn.failures));
      const missing = scoreReply(replies, { must: facts }, await scoreContext(stack)).filter((failure) => !perReply.has(failure));
      failures.push(...missing.map((failure) => `conversation: ${failure}`));
      if (options.judge && turns.length > 0) {
        const disagreement = await judgeReply(options.judge, "conversation", replies, detectLanguage(turns[0]!.user), { facts, forbidden }, [...perReply, ...missing]);
        if (disagreement) judgeDisagreements.push(disagreement);
      }
    }
    actual = await readEndState(stack, conversationJobs);
    failures.push(...compareEndState(scenario.expect, actual));
    const allowance = (simulation ? declaredAllowance(scenario) : null) ?? allowanceFromEndState(scenario.expect);
    procedure = checkProcedure(
      turns.map((turn) => ({ calls: turn.toolCalls, ...(simulation ? {} : turn.asks ? { asks: turn.asks } : {}) })),
      allowance,
    );
    failures.push(...procedure);
  } catch (error) {
    failures.push(`${error instanceof HistoryError ? "history" : "harness"}: ${(error as Error).message}`);
  } finally {
    await stack.stop();
  }
  return {
    scenario: scenario.id,
    category: scenario.category,
    trial,
    passed: failures.length === 0,
    failures,
    turns,
    expected: scenario.expect,
    actual,
    durationMs: Math.round(performance.now() - started),
    mode: simulation ? "simulated" : "scripted",
    ...(simulationEnd ? { simulationEnd } : {}),
    procedure,
    judgeDisagreements,
  };
}
