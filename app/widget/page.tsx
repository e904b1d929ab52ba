import type { Metadata, Viewport } from "next";
import { ChatWidget } from "./chat-widget";

export const metadata: Metadata = { title: "Support chat" };
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

// Embedded by host sites in an iframe: `/widget#token=<identity JWT>` (the token stays in the
// fragment, so it never reaches server logs), or sent by the host with postMessage.
export default function WidgetPage() {
  return <ChatWidget />;
}
