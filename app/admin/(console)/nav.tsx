"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

// The console's sections; the current one is marked for sighted and screen-reader users alike.

const SECTIONS = [
  { href: "/admin", label: "Queue", matches: (path: string) => path === "/admin" || path.startsWith("/admin/tickets") },
  { href: "/admin/customers", label: "Customers", matches: (path: string) => path.startsWith("/admin/customers") },
  { href: "/admin/dead-letters", label: "Dead letters", matches: (path: string) => path.startsWith("/admin/dead-letters") },
  { href: "/admin/events", label: "Events", matches: (path: string) => path.startsWith("/admin/events") },
  { href: "/admin/dashboard", label: "Dashboard", matches: (path: string) => path.startsWith("/admin/dashboard") },
  // Never prefetched: the doctor calls Stripe, Circle and Kit each time it renders.
  { href: "/admin/doctor", label: "Launch doctor", matches: (path: string) => path.startsWith("/admin/doctor"), prefetch: false },
] as const;

export function ConsoleNav() {
  const path = usePathname();
  return (
    <nav className="console-nav" aria-label="Console sections">
      <ul>
        {SECTIONS.map((section) => (
          <li key={section.href}>
            <Link href={section.href} prefetch={"prefetch" in section ? section.prefetch : undefined} aria-current={section.matches(path) ? "page" : undefined}>
              {section.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
