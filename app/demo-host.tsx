"use client";

import { useState } from "react";

// The demo host site: pick a seeded customer, "sign in" as them, and the support widget opens
// in an iframe exactly as it would on a real member site.
export function DemoHost({ customers }: { customers: ReadonlyArray<{ email: string; label: string }> }) {
  const [token, setToken] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  async function signIn(chosen: string) {
    setEmail(chosen);
    setToken(null);
    if (!chosen) return;
    const response = await fetch("/api/demo/identity", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: chosen }) });
    if (!response.ok) {
      setProblem("Could not sign in as that customer.");
      return;
    }
    setProblem(null);
    setToken(((await response.json()) as { token: string }).token);
  }

  return (
    <section aria-label="Demo member site" style={{ display: "grid", gap: "1rem" }}>
      <label style={{ display: "grid", gap: 4, maxWidth: 420 }}>
        <span>Signed in as (demo customers)</span>
        <select value={email} onChange={(event) => void signIn(event.target.value)} style={{ padding: 8, fontSize: 15, width: "100%" }}>
          <option value="">Choose a customer…</option>
          {customers.map((customer) => (
            <option key={customer.email} value={customer.email}>
              {customer.label} ({customer.email})
            </option>
          ))}
        </select>
      </label>
      {problem && <p role="alert">{problem}</p>}
      {token && (
        <iframe
          key={token}
          title="Support chat"
          src={`/widget#token=${encodeURIComponent(token)}`}
          style={{ width: "100%", maxWidth: 420, height: 600, border: "1px solid #d0d0d8", borderRadius: 12, background: "#fff" }}
        />
      )}
    </section>
  );
}
