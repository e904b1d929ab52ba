// Small status marks shared by the console's pages.

const STATUS_TONE: Record<string, string> = {
  open: "warn",
  pending: "",
  resolved: "good",
  queued: "",
  running: "",
  succeeded: "good",
  dead: "bad",
  discarded: "",
  applied: "good",
  ignored: "",
  failed: "bad",
  active: "good",
  invited: "good",
  revoked: "",
  trialing: "good",
  past_due: "warn",
  canceled: "warn",
  refunded: "bad",
  expired: "",
  unsubscribed: "bad",
  bounced: "bad",
  complained: "bad",
  pending_add: "warn",
  pending_remove: "warn",
  removed: "",
};

/** A status as a badge; its text is the status itself, so colour never carries the meaning alone. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${STATUS_TONE[status] ?? ""}`}>{status.replace("_", " ")}</span>;
}
