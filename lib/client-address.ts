// The client address the per-address limits key on: chat turns, console sign-ins, webhook
// deliveries that fail their signature check. X-Forwarded-For is a list each proxy appends the
// address it saw to, so its left entries are whatever the client chose to send; only the
// entries our own proxies appended can be trusted. TRUSTED_PROXY_HOPS says how many proxies
// stand in front of the app (1, the default: a platform such as Vercel or one load balancer;
// 2: a CDN in front of a load balancer), and the address is the entry that many from the right.
// With 0 nothing is in front: the headers are the client's own and are ignored.

/** How many proxies are trusted when nothing says otherwise. */
export const DEFAULT_TRUSTED_PROXY_HOPS = 1;

/** Pure: the client's address from a request's headers, or the socket's when no trusted header names one; null when unknown. */
export function clientAddress(
  headers: { get(name: string): string | null },
  trustedProxyHops: number = DEFAULT_TRUSTED_PROXY_HOPS,
  socketAddress: string | null = null,
): string | null {
  if (trustedProxyHops <= 0) return socketAddress;
  const hops = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  // Fewer entries than trusted proxies: the first one is the nearest to the client that there is.
  if (hops.length > 0) return hops[Math.max(0, hops.length - trustedProxyHops)]!;
  return headers.get("x-real-ip")?.trim() || socketAddress;
}
