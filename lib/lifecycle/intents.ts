import type { AccessState, TagState } from "./states";
import type { DesiredState } from "./derive";

// Pure. The side effects that take the record from what it holds to what it should hold.
// Each intent carries the next version of its row; the job that runs it is keyed by that
// version (lib/jobs/kinds.ts), so the same decision is never enqueued twice and a superseded
// one never runs.

export interface HeldGrant {
  accessGroupId: number;
  state: AccessState;
  version: number;
}

export interface HeldTag {
  tagId: number;
  state: TagState;
  version: number;
}

export type Intent =
  | { kind: "circle.grant"; accessGroupId: number; version: number }
  | { kind: "circle.revoke"; accessGroupId: number; version: number }
  | { kind: "kit.tag"; tagId: number; version: number }
  | { kind: "kit.untag"; tagId: number; version: number };

const GRANT_HELD: ReadonlySet<AccessState> = new Set(["pending", "invited", "active"]);
const TAG_HELD: ReadonlySet<TagState> = new Set(["pending_add", "applied"]);
const TAG_GONE: ReadonlySet<TagState> = new Set(["pending_remove", "removed"]);

export function planIntents(held: { grants: HeldGrant[]; tags: HeldTag[] }, desired: DesiredState): Intent[] {
  const intents: Intent[] = [];
  const grants = new Map(held.grants.map((grant) => [grant.accessGroupId, grant]));
  for (const accessGroupId of [...desired.accessGroupIds].sort((a, b) => a - b)) {
    const grant = grants.get(accessGroupId);
    if (!grant || !GRANT_HELD.has(grant.state)) {
      intents.push({ kind: "circle.grant", accessGroupId, version: (grant?.version ?? 0) + 1 });
    }
  }
  for (const grant of held.grants) {
    if (desired.accessGroupIds.has(grant.accessGroupId)) continue;
    // A failed row may hold a half-done grant: revoking is the safe way to reach "no access".
    if (GRANT_HELD.has(grant.state) || grant.state === "failed") {
      intents.push({ kind: "circle.revoke", accessGroupId: grant.accessGroupId, version: grant.version + 1 });
    }
  }

  const tags = new Map(held.tags.map((tag) => [tag.tagId, tag]));
  for (const tagId of [...desired.tagsWanted].sort((a, b) => a - b)) {
    const tag = tags.get(tagId);
    if (!tag || !TAG_HELD.has(tag.state)) intents.push({ kind: "kit.tag", tagId, version: (tag?.version ?? 0) + 1 });
  }
  for (const tagId of [...desired.tagsUnwanted].sort((a, b) => a - b)) {
    const tag = tags.get(tagId);
    if (tag && (TAG_HELD.has(tag.state) || tag.state === "failed")) intents.push({ kind: "kit.untag", tagId, version: tag.version + 1 });
  }
  const untagging = new Set(intents.flatMap((intent) => (intent.kind === "kit.untag" ? [intent.tagId] : [])));
  for (const tagId of [...desired.tagsSuppressed].sort((a, b) => a - b)) {
    const tag = tags.get(tagId);
    if (untagging.has(tagId)) continue;
    if (!tag || !TAG_GONE.has(tag.state)) intents.push({ kind: "kit.untag", tagId, version: (tag?.version ?? 0) + 1 });
  }
  return intents;
}
