import { metrics } from "../metrics";

// Counts what a chat turn did: answered, failed (the model or its stream), or held by a person;
// and each tool call the model made, by tool and whether it ran. A failed stream reports through
// both streamText's onError and its onFinish (finish reason "error"): it is counted once.

interface StepContent {
  content: ReadonlyArray<{ type: string; toolName?: string }>;
}

export function observeTurn() {
  let failed = false;
  return {
    /** streamText's onStepFinish and onFinish. */
    hooks: {
      onStepFinish(step: StepContent) {
        for (const part of step.content) {
          if (part.type === "tool-result" || part.type === "tool-error") {
            metrics().chatToolCalls.inc({ tool: part.toolName ?? "unknown", outcome: part.type === "tool-result" ? "ok" : "error" });
          }
        }
      },
      onFinish({ finishReason }: { finishReason: string }) {
        if (!failed) metrics().chatTurns.inc({ outcome: finishReason === "error" ? "error" : "answered" });
      },
    },
    /** streamText's onError calls it. */
    failed() {
      if (failed) return;
      failed = true;
      metrics().chatTurns.inc({ outcome: "error" });
    },
  };
}

/** A turn a person holds: the notice is sent and the model is not called. */
export const heldTurn = () => metrics().chatTurns.inc({ outcome: "held" });
