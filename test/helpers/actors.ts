import type { Actor } from "../../lib/admin/actor";

/** The operator a test's or bench's own set-up acts as (creating the admins it signs in with). */
export const SETUP_OPERATOR: Actor = { kind: "operator", user: "test-setup" };
