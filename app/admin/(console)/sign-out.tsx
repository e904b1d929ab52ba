"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

// Sign out: the session is deleted server-side, then the browser goes to the sign-in page and
// the router's cache of console pages is dropped.

export function SignOut() {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);

  async function signOut() {
    setProblem(null);
    try {
      const response = await fetch("/api/admin/session", { method: "DELETE", credentials: "same-origin" });
      if (!response.ok && response.status !== 401) {
        setProblem("Could not sign out. Try again.");
        return;
      }
      router.replace("/admin/login");
      router.refresh();
    } catch {
      setProblem("Could not reach the server to sign out.");
    }
  }

  return (
    <>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
      <span role="status" aria-live="polite">
        {problem}
      </span>
    </>
  );
}
