import type { ReactNode } from "react";
import { connection } from "next/server";

export const metadata = {
  title: "Entitled: support grounded in entitlement state",
  description: "One canonical customer record for Stripe, Circle and Kit",
};

// Every page renders per request: the content security policy's nonce (proxy.ts) is new each
// time, and Next.js can put it on its scripts only while rendering.
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", margin: 0, color: "#1b1b1f", background: "#fafafa" }}>{children}</body>
    </html>
  );
}
