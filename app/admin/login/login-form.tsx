"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, type CSSProperties, type FormEvent } from "react";

// The sign-in form: posts { email, password } to /api/admin/session and, once signed in, goes
// to the console (replacing the sign-in page in the history). Errors are announced
// (role="alert") and the password field takes the focus again.

const label: CSSProperties = { display: "block", fontWeight: 600, margin: "0 0 4px" };
// 16 px text: phones do not zoom into the field.
const input: CSSProperties = { display: "block", width: "100%", boxSizing: "border-box", font: "inherit", fontSize: 16, padding: "10px 12px", border: "1px solid #8a8a96", borderRadius: 6, margin: "0 0 16px" };
const button: CSSProperties = { width: "100%", font: "inherit", fontSize: 16, fontWeight: 600, padding: "11px 12px", border: 0, borderRadius: 6, background: "#2f5bd3", color: "#fff", cursor: "pointer" };

async function problemOf(response: Response): Promise<string> {
  if (response.status === 401) return "Email or password is wrong.";
  const body = (await response.json().catch(() => null)) as { error?: unknown } | null;
  const message = typeof body?.error === "string" ? body.error : "Sign-in failed.";
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? "" : "."}`;
}

export function LoginForm() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const password = useRef<HTMLInputElement>(null);
  const router = useRouter();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setProblem(null);
    try {
      const response = await fetch("/api/admin/session", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: form.get("email"), password: form.get("password") }),
      });
      if (response.ok) {
        router.replace("/admin");
        return;
      }
      setProblem(await problemOf(response));
    } catch {
      setProblem("Could not reach the server. Check the connection and try again.");
    }
    setBusy(false);
    if (password.current) {
      password.current.value = "";
      password.current.focus();
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)}>
      <label htmlFor="sign-in-email" style={label}>
        Email
      </label>
      <input id="sign-in-email" name="email" type="email" autoComplete="username" required maxLength={320} style={input}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? "sign-in-problem" : undefined}
      />
      <label htmlFor="sign-in-password" style={label}>
        Password
      </label>
      <input
        id="sign-in-password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        maxLength={1024}
        ref={password}
        style={input}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? "sign-in-problem" : undefined}
      />
      <p id="sign-in-problem" role="alert" aria-live="assertive" style={{ margin: problem ? "0 0 16px" : 0, color: "#a4161a" }}>
        {problem}
      </p>
      <button type="submit" disabled={busy} style={{ ...button, opacity: busy ? 0.7 : 1 }}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
