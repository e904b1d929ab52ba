import type { ReactNode } from "react";

export const metadata = {
  title: "Entitled: support grounded in entitlement state",
  description: "One canonical customer record for Stripe, Circle and Kit",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", margin: 0, color: "#1b1b1f", background: "#fafafa" }}>{children}</body>
    </html>
  );
}
