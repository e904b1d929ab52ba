import fc from "fast-check";
import { expect } from "vitest";
import type { Database } from "../../lib/db";

// The fuzzer's shared parts: generated pieces of requests (bodies, headers, encodings, sizes),
// the check every answer must pass (no 5xx; a rejection is a 4xx with a plain JSON message),
// and a fingerprint of every table (row counts and a sum of row versions, so an UPDATE shows
// too) to show a rejection wrote nothing.

/**
 * Generated requests per endpoint: FUZZ_RUNS. `npm test` runs 500 each (about a minute on
 * PGlite, most of it fingerprinting the tables); `npm run fuzz` runs 10,000 each.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 500);

/** A fuzzing test's time limit, grown with its count (a slow, shared machine runs a request in up to ~50 ms). */
export const FUZZ_TIMEOUT_MS = Math.max(60_000, FUZZ_RUNS * 60);

/** A fingerprint of every table: a write of any kind (insert, update, delete) changes it. */
export async function tableFingerprint(db: Database): Promise<string> {
  const tables = await db.sql<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  const sql = tables
    .map((table) => `SELECT '${table.name}' AS t, count(*)::int AS n, coalesce(sum(xmin::text::bigint), 0)::text AS v FROM "${table.name}"`)
    .join(" UNION ALL ");
  const rows = await db.sql<{ t: string; n: number; v: string }>(sql);
  return rows.map((row) => `${row.t}:${row.n}:${row.v}`).join(",");
}

/** What a fuzzed endpoint answered, by status. */
export type Tally = Map<number, number>;

/** A rejection's body: JSON with an `error` that is a sentence a person can read, never a stack or an internal name. */
export async function expectPlainRejection(response: Response, context: string): Promise<void> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${context}: ${response.status} answered with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "string") throw new Error(`${context}: ${response.status} without a string "error": ${text.slice(0, 200)}`);
  expect.soft(error.length, context).toBeGreaterThan(0);
  expect(error.length, context).toBeLessThanOrEqual(500);
  expect(error, context).not.toMatch(/\n\s+at\s|node_modules|prisma|TypeError|ReferenceError|SyntaxError|\[object Object\]/);
}

/**
 * Runs `runs` generated requests through `send`: each answer under 500 (except those `allowed`
 * says are part of the contract); a rejection (4xx) plain and without a write. A request that
 * could be accepted (`mayWrite`) is fingerprinted alone, before and after; the others in runs
 * of 200, so their cost stays low and a write by any of them still shows.
 */
export async function fuzzEndpoint<T>(options: {
  name: string;
  db: Database;
  arbitrary: fc.Arbitrary<T>;
  build: (input: T) => Request | null;
  send: (request: Request) => Promise<Response>;
  mayWrite: (input: T) => boolean;
  allowed?: (response: Response, input: T) => boolean;
  runs?: number;
  seed?: number;
}): Promise<Tally> {
  const tally: Tally = new Map();
  let baseline = await tableFingerprint(options.db);
  let unchecked = 0;
  const checkNoWrite = async (context: string) => {
    expect(await tableFingerprint(options.db), `${options.name}: a rejected request wrote (${context})`).toBe(baseline);
    unchecked = 0;
  };
  await fc.assert(
    fc.asyncProperty(options.arbitrary, async (input) => {
      const request = options.build(input);
      if (!request) return;
      const privileged = options.mayWrite(input);
      if (privileged) await checkNoWrite("before a request that could be accepted");
      const response = await options.send(request);
      tally.set(response.status, (tally.get(response.status) ?? 0) + 1);
      const context = `${options.name} ${request.method} ${request.url.slice(0, 120)}`;
      if (response.status >= 500 && !options.allowed?.(response, input)) {
        throw new Error(`${context}: ${response.status} ${(await response.text()).slice(0, 300)}`);
      }
      const rejected = response.status >= 400 && response.status < 500;
      // A HEAD answer has no body by HTTP's rules: its status is checked, not its message.
      if (rejected && request.method !== "HEAD") await expectPlainRejection(response, context);
      else await response.arrayBuffer();
      if (privileged && !rejected) {
        // Accepted with a valid credential: it may write; what it wrote is the new baseline.
        baseline = await tableFingerprint(options.db);
        unchecked = 0;
      } else if (privileged) {
        await checkNoWrite(`${response.status} to ${context}`);
      } else if (++unchecked >= 200) {
        // No valid credential: nothing it is answered may write, 2xx (a health check) or not.
        await checkNoWrite("a run of requests with no valid credential");
      }
    }),
    { numRuns: options.runs ?? FUZZ_RUNS, seed: options.seed, endOnFailure: true },
  );
  await checkNoWrite("the last requests");
  return tally;
}

export const printTally = (name: string, tally: Tally) => {
  const total = [...tally.values()].reduce((sum, n) => sum + n, 0);
  const byStatus = [...tally].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`).join(", ");
  // The per-endpoint counts are this suite's report (README: fuzzing).
  console.log(`fuzz ${name}: ${total} requests (${byStatus})`);
  return total;
};

// ---- generated pieces ----

const unicodeText = fc.string({ unit: "grapheme", maxLength: 200 });
const binaryText = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("latin1"));

/** Bodies: JSON of any shape, near-valid shapes from `shapes`, text, bytes, empty, and now and then a large one. */
export function bodies(shapes: fc.Arbitrary<unknown>[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    ...shapes.map((shape) => ({ weight: 4, arbitrary: shape.map((value) => JSON.stringify(value)) })),
    { weight: 2, arbitrary: unicodeText },
    { weight: 1, arbitrary: binaryText },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "[", "null", "0", '"', "{}", "[]", '{"a":', "\u0000", "\ufeff{}") },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map((kib) => JSON.stringify({ pad: "x".repeat(kib * 1024) })) },
    { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 - 16, 1024 * 1024 + 1, 2 * 1024 * 1024).map((size) => "x".repeat(size)) },
  );
}

/** Extra headers a sender might add: content types, encodings, forwarded addresses, cookies, junk. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      "content-type": fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""),
      "content-encoding": fc.constantFrom("gzip", "br", "identity", "deflate"),
      "transfer-encoding": fc.constantFrom("chunked", "gzip"),
      "x-forwarded-for": fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("", "unknown", "1.2.3.4, 5.6.7.8", "::1")),
      cookie: fc.oneof(fc.constantFrom("entitled_session=garbage", "a=b; c", ""), fc.string({ maxLength: 100 }).filter((value) => /^[\x20-\x7e]*$/.test(value))),
      accept: fc.constantFrom("*/*", "text/event-stream", "application/json", "text/html"),
      origin: fc.constantFrom("https://evil.example", "null", "http://localhost:3000"),
    },
    { requiredKeys: [] },
  );

/** A header value as a sender could write it (printable ASCII), sometimes a near-miss of the real one. */
export const headerValue = fc.oneof(
  fc.string({ maxLength: 200 }).filter((value) => /^[\x20-\x7e]*$/.test(value)),
  fc.constantFrom("", " ", "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "t=,v1=", "t=1,v1=00", "v1=abc", "t=abc,v1=abc,v0=abc"),
);

/** A path segment: ids of any shape, including traversal and encodings. */
export const pathId = fc.oneof(
  fc.uuid(),
  fc.constantFrom("", "0", "-1", "null", "..", "%2e%2e", "a".repeat(300), "1;DROP TABLE x", "%00", "😀"),
  fc.string({ maxLength: 60 }),
);

/** A query string of random parameters with near-miss names of real ones. */
export const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom("email", "status", "q", "limit", "cursor", "ready", "kind", "provider", "since", "page", "id"), fc.string({ maxLength: 12 })),
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("1", "0", "-1", "open", "dead", "a@b.c", "x".repeat(2000), "true", "%", "ada@example.com")),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? "" : `?${new URLSearchParams(pairs).toString()}`));

/** A Request, or null when the platform refuses to build one from these parts (not a request anyone can send). */
export function tryRequest(url: string, init: RequestInit): Request | null {
  try {
    return new Request(url, init);
  } catch {
    return null;
  }
}
