import { performance } from "node:perf_hooks";
import { log, newCorrelationId, withCorrelation } from "../log";
import { metrics } from "../metrics";
import type { Answer } from "./http";

// Every webhook delivery, on the Next route and on the ingest server alike, runs under its own
// correlation id (each log line written while it is handled carries it) and is measured: the
// time to its answer, and a refused or failed delivery counted by what went wrong. (Recorded and
// duplicate events are counted per event by the processor, which knows them.)

export type WebhookProvider = "stripe" | "kit";

/** What a delivery's answer says about it, for the counter: null when its events were counted already (2xx). */
export function deliveryFailure(status: number): "rejected" | "error" | null {
  if (status >= 500) return "error";
  if (status >= 400) return "rejected";
  return null;
}

export async function observeDelivery(provider: WebhookProvider, process: (correlationId: string) => Promise<Answer>): Promise<Answer> {
  const correlationId = newCorrelationId();
  return withCorrelation(correlationId, async () => {
    const started = performance.now();
    let answer: Answer;
    try {
      answer = await process(correlationId);
    } catch (error) {
      metrics().webhookEvents.inc({ provider, result: "error" });
      throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    metrics().webhookAck.observe({ provider, status: `${Math.floor(answer.status / 100)}xx` }, seconds);
    const failure = deliveryFailure(answer.status);
    if (failure) metrics().webhookEvents.inc({ provider, result: failure });
    const entry = { provider, status: answer.status, ms: Math.round(seconds * 1000) };
    // A refusal says why (its message names the check, never a value); a flood of them is limited to 429s, logged quietly.
    if (failure === "rejected" && answer.status !== 429) log.info({ ...entry, reason: answer.body.error }, "webhook refused");
    else log.debug(entry, "webhook answered");
    return answer;
  });
}
