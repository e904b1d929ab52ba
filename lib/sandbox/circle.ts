import { FakeApiServer, field, type FaultMatch, type Incoming, type Reply } from "./server";

export type { FakeRequestLogEntry } from "./server";

// The sandbox's Circle stand-in: an in-memory Circle Admin API v2 over real HTTP, used by the
// demo (`npm start` without CIRCLE_API_TOKEN), the tests and the benchmarks. It covers the
// member and access-group operations the client uses, with the spec's paths, status codes,
// error shape and response fields. Product code: no dependency on vitest or on test/.

/** The Admin API v2 path prefix; `start()` returns a URL that includes it. */
export const CIRCLE_API_PREFIX = "/api/admin/v2";
export const FAKE_CIRCLE_TOKEN = "fake-circle-token";

const COMMUNITY_ID = 1;

export type CircleFault = FaultMatch &
  (
    | { status: 500 | 502 | 503 }
    | { status: 429; retryAfterSeconds?: number }
    | { timeoutMs: number; applyThenHang?: boolean }
    | { delayMs: number }
  );

interface Member {
  id: number;
  email: string;
  name: string | null;
  createdAt: string;
  /** When the member accepted Circle's invitation; null while they have not. */
  acceptedAt: Date | null;
}

/** Circle's own format for `accepted_invitation`: "YYYY-MM-DD HH:MM:SS UTC" (not ISO 8601). */
const circleTimestamp = (at: Date) => `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;

interface AccessGroup {
  id: number;
  name: string;
  /** Keyed by community member id. */
  memberships: Map<number, { id: number; createdAt: string }>;
}

const circleError = (status: number, message: string, errorDetails: unknown = {}): Reply => ({
  status,
  body: { success: false, message, error_details: errorDetails },
});

const missingRecord = (what: string): Reply =>
  circleError(404, "Oops! Missing record. Please try again later.", { message: `Missing record: ${what}` });

function circleFaultReply(fault: CircleFault & { status: number }): Reply {
  if (fault.status === 429) {
    const retryAfter = "retryAfterSeconds" in fault ? fault.retryAfterSeconds : undefined;
    return {
      ...circleError(429, "Too many requests. Please try again later."),
      headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
    };
  }
  if (fault.status === 502) return { status: 502, html: "<html><body><h1>502 Bad Gateway</h1></body></html>" };
  return circleError(fault.status, fault.status === 503 ? "Service unavailable." : "Internal server error.");
}

function memberJson(member: Member) {
  const [firstName, ...rest] = (member.name ?? "").split(" ");
  const publicUid = member.id.toString(16).padStart(8, "0");
  return {
    first_name: firstName || null,
    last_name: rest.join(" ") || null,
    headline: null,
    created_at: member.createdAt,
    updated_at: member.createdAt,
    community_id: COMMUNITY_ID,
    last_seen_at: null,
    profile_confirmed_at: null,
    member_since: null,
    member_since_overridden: false,
    id: member.id,
    profile_url: `https://fake-community.circle.so/u/${publicUid}`,
    public_uid: publicUid,
    profile_fields: [],
    flattened_profile_fields: {},
    avatar_url: null,
    user_id: member.id + 1000,
    name: member.name ?? "",
    email: member.email,
    accepted_invitation: member.acceptedAt ? circleTimestamp(member.acceptedAt) : "",
    active: member.acceptedAt !== null,
    sso_provider_user_id: null,
    member_tags: [],
    posts_count: 0,
    comments_count: 0,
  };
}

export class FakeCircle extends FakeApiServer<CircleFault> {
  readonly token: string;

  private members = new Map<number, Member>();
  private groups = new Map<number, AccessGroup>();
  private nextId = { member: 1, group: 1, membership: 1 };

  constructor(options: { token?: string } = {}) {
    super(CIRCLE_API_PREFIX);
    this.token = options.token ?? FAKE_CIRCLE_TOKEN;
  }

  protected faultReply = circleFaultReply;
  protected internalError = () => circleError(500, "Internal server error.");

  protected clearState(): void {
    this.members.clear();
    this.groups.clear();
    this.nextId = { member: 1, group: 1, membership: 1 };
  }

  /** `id` pins the group's id (a sandbox matching a plan catalog); otherwise the next free one. */
  addAccessGroup(name: string, id = this.nextId.group): number {
    this.nextId.group = Math.max(this.nextId.group, id + 1);
    this.groups.set(id, { id, name, memberships: new Map() });
    return id;
  }

  /** A member who joined the community by other means (and so has accepted their invitation). */
  addMember(email: string, name?: string): number {
    const member = this.insertMember(email, name ?? null);
    member.acceptedAt = new Date();
    return member.id;
  }

  /** A member invited earlier (by an API create) who has not accepted yet. */
  inviteMember(email: string): number {
    return this.insertMember(email, null).id;
  }

  /** The member accepts the invitation an API create sent them. */
  acceptInvitation(email: string): void {
    const member = this.memberByEmail(email);
    if (!member) throw new Error(`fake Circle: no member ${email}`);
    member.acceptedAt ??= new Date();
  }

  /** A change made by hand in Circle's admin: the member (who must exist) joins the group. */
  addToAccessGroupByHand(accessGroupId: number, email: string): void {
    const reply = this.addToGroup(accessGroupId, email);
    if (reply.status !== 201) throw new Error(`fake Circle: cannot add ${email} to group ${accessGroupId}`);
  }

  /** A change made by hand in Circle's admin: the member leaves the group. */
  removeFromAccessGroupByHand(accessGroupId: number, email: string): void {
    const reply = this.removeFromGroup(accessGroupId, email);
    if (reply.status !== 200) throw new Error(`fake Circle: ${email} is not in group ${accessGroupId}`);
  }

  /** Emails of the members in an access group, in the order they were added. */
  membersOf(accessGroupId: number): string[] {
    const group = this.groups.get(accessGroupId);
    if (!group) return [];
    return [...group.memberships.keys()].flatMap((memberId) => this.members.get(memberId)?.email ?? []);
  }

  memberCount(): number {
    return this.members.size;
  }

  /** Every member with the access groups they are in (the chaos harness compares it with its oracle). */
  memberships(): Array<{ id: number; email: string; accessGroupIds: number[] }> {
    return [...this.members.values()].map((member) => ({
      id: member.id,
      email: member.email,
      accessGroupIds: [...this.groups.values()].filter((group) => group.memberships.has(member.id)).map((group) => group.id).sort((a, b) => a - b),
    }));
  }

  private insertMember(email: string, name: string | null): Member {
    const member: Member = { id: this.nextId.member++, email, name, createdAt: new Date().toISOString(), acceptedAt: null };
    this.members.set(member.id, member);
    return member;
  }

  private memberByEmail(email: string): Member | undefined {
    const wanted = email.trim().toLowerCase();
    for (const member of this.members.values()) if (member.email.toLowerCase() === wanted) return member;
    return undefined;
  }

  protected route({ method, path, query, rawBody, headers }: Incoming): Reply {
    if (headers.authorization !== `Token ${this.token}`) return circleError(401, "The API token is invalid.");
    let body: unknown;
    try {
      body = rawBody === "" ? undefined : JSON.parse(rawBody);
    } catch {
      return circleError(400, "Invalid JSON in request body.");
    }

    if (path === "/community_members/search" && method === "GET") return this.searchMember(query.get("email"));
    if (path === "/community_members" && method === "POST") return this.createMember(body);
    if (path === "/community_members" && method === "GET") return this.listMembers(query.get("page"), query.get("per_page"));
    const groupMembers = /^\/access_groups\/(\d+)\/community_members$/.exec(path);
    if (groupMembers && method === "POST") return this.addToGroup(Number(groupMembers[1]), field(body, "email"));
    if (groupMembers && method === "DELETE") return this.removeFromGroup(Number(groupMembers[1]), query.get("email"));
    if (groupMembers && method === "GET") return this.listGroupMembers(Number(groupMembers[1]), query.get("page"), query.get("per_page"));
    const groupMember = /^\/access_groups\/(\d+)\/community_member$/.exec(path);
    if (groupMember && method === "GET") return this.showGroupMember(Number(groupMember[1]), query.get("email"));
    return circleError(404, "Route not found.");
  }

  private searchMember(email: string | null): Reply {
    if (!email) return circleError(400, "param is missing or the value is empty: email");
    const member = this.memberByEmail(email);
    return member ? { status: 200, body: memberJson(member) } : missingRecord("community member");
  }

  /** Oldest first; `per_page` defaults to 60 and is capped at 100, as the group listing. */
  private listMembers(pageParam: string | null, perPageParam: string | null): Reply {
    const page = Math.max(1, Number(pageParam ?? 1) || 1);
    const perPage = Math.min(100, Math.max(1, Number(perPageParam ?? 60) || 60));
    const all = [...this.members.values()];
    const records = all.slice((page - 1) * perPage, page * perPage).map(memberJson);
    return { status: 200, body: { page, per_page: perPage, has_next_page: page * perPage < all.length, count: all.length, page_count: records.length, records } };
  }

  private createMember(body: unknown): Reply {
    const email = field(body, "email");
    const name = field(body, "name");
    if (typeof email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(email)) {
      return circleError(422, "Invalid email address.");
    }
    // The spec leaves an existing email undefined; answering 422 keeps callers from relying on an upsert.
    if (this.memberByEmail(email)) {
      return circleError(422, "Email has already been taken", { email: ["has already been taken"] });
    }
    const member = this.insertMember(email.trim(), typeof name === "string" ? name : null);
    return {
      status: 201,
      body: { message: "This user has been invited to the community.", community_member: memberJson(member) },
    };
  }

  private addToGroup(groupId: number, email: unknown): Reply {
    const group = this.groups.get(groupId);
    if (!group) return missingRecord("access group");
    const member = typeof email === "string" ? this.memberByEmail(email) : undefined;
    if (!member) return missingRecord("user");
    if (!group.memberships.has(member.id)) {
      group.memberships.set(member.id, { id: this.nextId.membership++, createdAt: new Date().toISOString() });
    }
    return { status: 201, body: { message: `Member has been added to '${group.name}' access group.` } };
  }

  private removeFromGroup(groupId: number, email: string | null): Reply {
    const group = this.groups.get(groupId);
    if (!group) return missingRecord("access group");
    const member = email ? this.memberByEmail(email) : undefined;
    if (!member) return missingRecord("user");
    if (!group.memberships.delete(member.id)) return missingRecord("access group community member");
    return { status: 200, body: { message: `Member removed from '${group.name}' access group.` } };
  }

  /** Newest membership first, as the spec's example; `per_page` defaults to 60 and is capped at 100. */
  private listGroupMembers(groupId: number, pageParam: string | null, perPageParam: string | null): Reply {
    const group = this.groups.get(groupId);
    if (!group) return missingRecord("access group");
    const page = Math.max(1, Number(pageParam ?? 1) || 1);
    const perPage = Math.min(100, Math.max(1, Number(perPageParam ?? 60) || 60));
    const all = [...group.memberships].map(([memberId, membership]) => ({ memberId, ...membership })).sort((a, b) => b.id - a.id);
    const records = all.slice((page - 1) * perPage, page * perPage).map((membership) => ({
      id: membership.id,
      access_group_id: group.id,
      community_member_id: membership.memberId,
      community_id: COMMUNITY_ID,
      created_at: membership.createdAt,
      updated_at: membership.createdAt,
    }));
    return {
      status: 200,
      body: { page, per_page: perPage, has_next_page: page * perPage < all.length, count: all.length, page_count: records.length, records },
    };
  }

  private showGroupMember(groupId: number, email: string | null): Reply {
    const group = this.groups.get(groupId);
    if (!group) return missingRecord("access group");
    const member = email ? this.memberByEmail(email) : undefined;
    if (!member) return missingRecord("user");
    const membership = group.memberships.get(member.id);
    if (!membership) return missingRecord("access group community member");
    return {
      status: 200,
      body: {
        id: membership.id,
        access_group_id: group.id,
        community_member_id: member.id,
        community_id: COMMUNITY_ID,
        created_at: membership.createdAt,
        updated_at: membership.createdAt,
      },
    };
  }
}

export function createFakeCircle(options: { token?: string } = {}): FakeCircle {
  return new FakeCircle(options);
}
