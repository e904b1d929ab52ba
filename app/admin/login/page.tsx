import type { CSSProperties } from "react";
import { redirect } from "next/navigation";
import { currentAdmin } from "@/lib/admin/guard";
import { getRuntime } from "@/lib/runtime";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in: support console" };

const page: CSSProperties = { minHeight: "100vh", display: "flex", alignItems: "flex-start", justifyContent: "center", padding: "12vh 16px 24px", boxSizing: "border-box" };
const card: CSSProperties = { width: "100%", maxWidth: 360, background: "#fff", border: "1px solid #d9d9e0", borderRadius: 8, padding: 24, boxSizing: "border-box" };

export default async function LoginPage() {
  const runtime = await getRuntime();
  if (await currentAdmin(runtime)) redirect("/admin");
  return (
    <main style={page}>
      <div style={card}>
        <h1 style={{ fontSize: 22, margin: "0 0 4px" }}>Support console</h1>
        <p style={{ margin: "0 0 20px", color: "#55555f" }}>Sign in with your admin account.</p>
        <LoginForm />
        {runtime.env.APP_MODE === "demo" ? (
          <p style={{ margin: "20px 0 0", fontSize: 14, color: "#55555f" }}>Demo: use the admin email and password that npm start printed.</p>
        ) : null}
      </div>
    </main>
  );
}
