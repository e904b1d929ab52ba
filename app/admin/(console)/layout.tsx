import Link from "next/link";
import type { ReactNode } from "react";
import "../console.css";
import { consolePage } from "./console-page";
import { ConsoleNav } from "./nav";
import { SignOut } from "./sign-out";

export const dynamic = "force-dynamic";
export const metadata = { title: { default: "Support console", template: "%s · Support console" } };

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const { admin } = await consolePage();
  return (
    <div className="console">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="console-header">
        <Link href="/admin" className="brand">
          Entitled support
        </Link>
        <div className="who">
          <span>
            Signed in as <strong>{admin.name}</strong> <span className="sr-only">({admin.email})</span>
          </span>
          <SignOut />
        </div>
      </header>
      <ConsoleNav />
      <main id="main" className="console-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
