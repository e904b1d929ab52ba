import { z } from "zod";
import { IntegrationError } from "./errors";
import { createJsonHttp } from "./http";

export const CIRCLE_DEFAULT_BASE_URL = "https://app.circle.so/api/admin/v2";

export interface CircleClientOptions {
  /** Includes the `/api/admin/v2` prefix. */
  baseUrl?: string;
  token: string;
  timeoutMs?: number;
  beforeRequest?: () => Promise<void>;
  /** Records per page when listing (Circle's own default is 60). */
  pageSize?: number;
}

/** A listing longer than this many pages is refused rather than read without end. */
const MAX_LIST_PAGES = 1_000;

export interface CircleMember {
  id: number;
  email: string;
  /** Circle's `accepted_invitation` is set: the member has joined, not only been invited. */
  acceptedInvitation: boolean;
}

export interface CircleMembersPage {
  members: CircleMember[];
  hasNextPage: boolean;
  /** Members in the whole community, when Circle says. */
  count: number | null;
}

export interface CreateCircleMemberInput {
  email: string;
  name?: string;
  accessGroupIds?: number[];
  skipInvitation?: boolean;
}

export interface CircleClient {
  findMemberByEmail(email: string): Promise<CircleMember | null>;
  /** Safe to retry: an email that already belongs to a member returns that member. */
  createMember(input: CreateCircleMemberInput): Promise<CircleMember>;
  /** Succeeds when the member is already in the group. The member must exist in the community. */
  addToAccessGroup(accessGroupId: number, email: string): Promise<void>;
  /** Succeeds when the member is not in the group (or not in the community). */
  removeFromAccessGroup(accessGroupId: number, email: string): Promise<void>;
  isInAccessGroup(accessGroupId: number, email: string): Promise<boolean>;
  /** Every community member id in an access group, all pages read. */
  listAccessGroupMemberIds(accessGroupId: number): Promise<number[]>;
  /** One page of the community's members, with whether each accepted their invitation. */
  listMembersPage(page: number, perPage?: number): Promise<CircleMembersPage>;
  /** False when Circle has no such access group (the launch doctor checks the catalog's). */
  accessGroupExists(accessGroupId: number): Promise<boolean>;
}

// `accepted_invitation` is "YYYY-MM-DD HH:MM:SS UTC" once accepted and "" before: only its
// presence is read, never parsed as a date.
const memberSchema = z.object({ id: z.number().int(), email: z.string(), accepted_invitation: z.string().nullish() });
const toMember = (data: z.infer<typeof memberSchema>): CircleMember => ({
  id: data.id,
  email: data.email,
  acceptedInvitation: Boolean(data.accepted_invitation?.trim()),
});
const memberCreatedSchema = z.object({ community_member: memberSchema });
const messageSchema = z.object({ message: z.string().optional() });
const accessGroupMemberSchema = z.object({
  id: z.number().int(),
  access_group_id: z.number().int(),
  community_member_id: z.number().int(),
});

const accessGroupMembersPageSchema = z.object({
  has_next_page: z.boolean(),
  records: z.array(z.object({ community_member_id: z.number().int() })),
});

const membersPageSchema = z.object({
  has_next_page: z.boolean(),
  count: z.number().int().nullish(),
  records: z.array(memberSchema),
});

// Circle errors are `{success, message, error_details}`; a few member-limit errors use `errors`.
const circleErrorSchema = z.object({
  message: z.string().optional(),
  errors: z.string().optional(),
  error_details: z.unknown().optional(),
});

function circleErrorDetail(body: unknown): string | null {
  const parsed = circleErrorSchema.safeParse(body);
  if (!parsed.success) return null;
  const { message, errors, error_details: details } = parsed.data;
  const detailsMessage =
    typeof details === "object" && details !== null && "message" in details && typeof details.message === "string"
      ? details.message
      : undefined;
  return detailsMessage ?? message ?? errors ?? null;
}

// Circle answers 404 both for "no such group" and "this member is not in the group"; only the
// first is a real failure for membership checks and removals.
const MISSING_ACCESS_GROUP = "Missing record: access group";

function isNotFound(error: unknown): error is IntegrationError {
  return error instanceof IntegrationError && error.status === 404;
}

function isMissingMembership(error: unknown): boolean {
  return isNotFound(error) && error.detail !== MISSING_ACCESS_GROUP;
}

export function createCircleClient(options: CircleClientOptions): CircleClient {
  const request = createJsonHttp({
    provider: "circle",
    baseUrl: options.baseUrl ?? CIRCLE_DEFAULT_BASE_URL,
    headers: { authorization: `Token ${options.token}` },
    secrets: [options.token],
    errorDetail: circleErrorDetail,
    timeoutMs: options.timeoutMs,
    beforeRequest: options.beforeRequest,
  });

  async function findMemberByEmail(email: string): Promise<CircleMember | null> {
    try {
      const { data } = await request({
        operation: "findMemberByEmail",
        method: "GET",
        path: "/community_members/search",
        query: { email },
        schema: memberSchema,
      });
      return toMember(data);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function insertMember(input: CreateCircleMemberInput): Promise<CircleMember> {
    try {
      const { data } = await request({
        operation: "createMember",
        method: "POST",
        path: "/community_members",
        body: { email: input.email, name: input.name, skip_invitation: input.skipInvitation },
        schema: memberCreatedSchema,
      });
      return toMember(data.community_member);
    } catch (error) {
      // A retry after a create whose response was lost finds the member already there.
      if (error instanceof IntegrationError && error.status === 422) {
        const existing = await findMemberByEmail(input.email);
        if (existing) return existing;
      }
      throw error;
    }
  }

  async function addToAccessGroup(accessGroupId: number, email: string): Promise<void> {
    await request({
      operation: "addToAccessGroup",
      method: "POST",
      path: `/access_groups/${accessGroupId}/community_members`,
      body: { email },
      schema: messageSchema,
    });
  }

  return {
    findMemberByEmail,

    async createMember(input) {
      const member = await insertMember(input);
      // The create endpoint takes spaces and space groups but no access groups.
      for (const accessGroupId of input.accessGroupIds ?? []) {
        await addToAccessGroup(accessGroupId, member.email);
      }
      return member;
    },

    addToAccessGroup,

    async removeFromAccessGroup(accessGroupId, email) {
      try {
        await request({
          operation: "removeFromAccessGroup",
          method: "DELETE",
          path: `/access_groups/${accessGroupId}/community_members`,
          query: { email },
          schema: messageSchema,
        });
      } catch (error) {
        if (!isMissingMembership(error)) throw error;
      }
    },

    async listAccessGroupMemberIds(accessGroupId) {
      const ids: number[] = [];
      for (let page = 1; page <= MAX_LIST_PAGES; page++) {
        const { data } = await request({
          operation: "listAccessGroupMembers",
          method: "GET",
          path: `/access_groups/${accessGroupId}/community_members`,
          query: { page, per_page: options.pageSize ?? 100 },
          schema: accessGroupMembersPageSchema,
        });
        ids.push(...data.records.map((record) => record.community_member_id));
        if (!data.has_next_page) return ids;
      }
      throw new IntegrationError({
        provider: "circle",
        code: "bad_response",
        status: null,
        retryable: false,
        message: `circle listAccessGroupMembers: more than ${MAX_LIST_PAGES} pages`,
      });
    },

    async listMembersPage(page, perPage = options.pageSize ?? 100) {
      const { data } = await request({
        operation: "listMembers",
        method: "GET",
        path: "/community_members",
        query: { page, per_page: perPage },
        schema: membersPageSchema,
      });
      return { members: data.records.map(toMember), hasNextPage: data.has_next_page, count: data.count ?? null };
    },

    async accessGroupExists(accessGroupId) {
      try {
        await request({
          operation: "accessGroupExists",
          method: "GET",
          path: `/access_groups/${accessGroupId}/community_members`,
          query: { page: 1, per_page: 1 },
          schema: accessGroupMembersPageSchema,
        });
        return true;
      } catch (error) {
        if (isNotFound(error) && error.detail === MISSING_ACCESS_GROUP) return false;
        throw error;
      }
    },

    async isInAccessGroup(accessGroupId, email) {
      try {
        await request({
          operation: "isInAccessGroup",
          method: "GET",
          path: `/access_groups/${accessGroupId}/community_member`,
          query: { email },
          schema: accessGroupMemberSchema,
        });
        return true;
      } catch (error) {
        if (isMissingMembership(error)) return false;
        throw error;
      }
    },
  };
}
