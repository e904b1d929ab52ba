"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent, type ReactNode } from "react";

// One console action: a form whose fields are posted as JSON to an admin route. The result (the
// API's own plain message on a refusal) is announced in a live region, and on success the page's
// server data is read again (router.refresh()), so the converged record shows.

export interface ActionFormProps {
  /** The admin JSON route. */
  url: string;
  /** Shown as the form's heading, and names the form for assistive technology. */
  title?: string;
  /** Values sent with the form's own fields (an override's action name, say). */
  fixed?: Record<string, string | number>;
  /** Fields sent as numbers rather than strings (ids from a select). */
  numbers?: readonly string[];
  submitLabel: string;
  /** What the live region says after a success. */
  done: string;
  tone?: "primary" | "secondary" | "danger";
  /** Called after a success, for a client list that holds its own data (server pages refresh by themselves). */
  onDone?: () => void;
  children?: ReactNode;
}

type Result = { ok: boolean; message: string } | null;

/** The audit entry a successful action answers with, in words: "Audit: override.revokeAccess by admin:ada@example.com." */
async function auditNote(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { audit?: { action?: unknown; actor?: unknown } } | null;
  const audit = body?.audit;
  return typeof audit?.action === "string" && typeof audit.actor === "string" ? ` Audit: ${audit.action} by ${audit.actor}.` : "";
}

/** The API's plain message from a refusal, or a generic one. */
async function refusalMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === "string" && body.error) return body.error;
  } catch {
    // not a JSON body
  }
  return `The action failed (HTTP ${response.status}).`;
}

export function ActionForm({ url, title, fixed, numbers = [], submitLabel, done, tone = "primary", onDone, children }: ActionFormProps) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result>(null);
  const headingId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const body: Record<string, unknown> = { ...fixed };
    for (const [name, value] of new FormData(form)) {
      if (typeof value !== "string") continue;
      body[name] = numbers.includes(name) ? Number(value) : value;
    }
    setBusy(true);
    setResult(null);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (!response.ok) {
        setResult({ ok: false, message: await refusalMessage(response) });
        return;
      }
      form.reset();
      setResult({ ok: true, message: done + (await auditNote(response)) });
      onDone?.();
      router.refresh();
    } catch {
      setResult({ ok: false, message: "The console could not reach the server. Check the connection and try again." });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="action-form" onSubmit={submit} aria-labelledby={title ? headingId : undefined} aria-label={title ? undefined : submitLabel}>
      {title && <h3 id={headingId}>{title}</h3>}
      {children}
      <div className="row">
        <button type="submit" className={tone === "primary" ? undefined : tone} disabled={busy}>
          {busy ? "Working…" : submitLabel}
        </button>
      </div>
      <p className={`action-result ${result ? (result.ok ? "ok" : "error") : ""}`} role="status" aria-live="polite">
        {result?.message}
      </p>
    </form>
  );
}
