import type { z } from "zod";
import { BodyTooLargeError, readBody, rejection } from "../webhooks/http";
import type { Actor } from "./actor";
import { authorizeAdmin, type GuardDeps } from "./guard";

// What every admin route does before its own work: who is asking (lib/admin/guard.ts: 401/403),
// then its id, query string or JSON body read and parsed with zod. A refusal is a response: 413
// for a body over the limit, 400 "the body is not JSON", or 400 with zod's plain message (the
// first issue's, unless the route describes its issues itself). Nothing is written before.

/** What a request gave, parsed, or the response that refuses it. */
export type Checked<T> = { ok: true; data: T } | { ok: false; response: Response };

/** The largest body an admin route reads. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/** A zod error as the 400's message. */
export type DescribeIssues = (error: z.ZodError) => string;

/** The first issue's message, or `fallback` when there is none. */
export const firstIssue = (error: z.ZodError, fallback: string): string => error.issues[0]?.message ?? fallback;

/** `input` parsed by `schema`, or 400: `describe`'s message, by default the first issue's (`invalid <what>` without one). */
export function check<T>(schema: z.ZodType<T>, input: unknown, what: string, describe?: DescribeIssues): Checked<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, response: rejection(400, describe ? describe(result.error) : firstIssue(result.error, `invalid ${what}`)) };
}

/** The query string parsed by `schema`, or 400. */
export function readQuery<T>(request: Request, schema: z.ZodType<T>, describe?: DescribeIssues): Checked<T> {
  return check(schema, Object.fromEntries(new URL(request.url).searchParams), "query", describe);
}

/** For reads: the guard (401/403), then the query string parsed (400); the actor with the query. */
export async function authorizedQuery<T>(
  request: Request,
  deps: GuardDeps,
  schema: z.ZodType<T>,
  describe?: DescribeIssues,
): Promise<{ ok: true; data: T; actor: Actor } | { ok: false; response: Response }> {
  const authorized = await authorizeAdmin(request, deps);
  if (!authorized.ok) return authorized;
  const query = readQuery(request, schema, describe);
  return query.ok ? { ok: true, data: query.data, actor: authorized.actor } : query;
}

export interface JsonOptions {
  /** Default MAX_ADMIN_BODY_BYTES. */
  maxBytes?: number;
  /** An empty (or blank) body reads as `{}`, for actions that take nothing; otherwise it is not JSON. */
  emptyAsObject?: boolean;
}

/** The body as JSON, read within the limit: 413 over it, 400 "the body is not JSON". */
export async function readJson(request: Request, options: JsonOptions = {}): Promise<Checked<unknown>> {
  const maxBytes = options.maxBytes ?? MAX_ADMIN_BODY_BYTES;
  try {
    const raw = await readBody(request, maxBytes);
    return { ok: true, data: options.emptyAsObject && raw.trim() === "" ? {} : JSON.parse(raw) };
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, response: rejection(413, `body over ${maxBytes / 1024} KiB`) };
    return { ok: false, response: rejection(400, "the body is not JSON") };
  }
}

/** The JSON body parsed by `schema`: 413, 400 "the body is not JSON", or 400 with the issue. */
export async function readJsonBody<T>(request: Request, schema: z.ZodType<T>, options: JsonOptions & { describe?: DescribeIssues } = {}): Promise<Checked<T>> {
  const body = await readJson(request, options);
  return body.ok ? check(schema, body.data, "body", options.describe) : body;
}
