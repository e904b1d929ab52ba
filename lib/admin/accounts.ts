import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";
import type { Database, Session } from "../db";
import { MIN_ADMIN_PASSWORD_LENGTH } from "../config";
import type { Actor } from "./actor";
import { writeAudit } from "./audit";

// Named console accounts: the only writer of AdminUser. Passwords are hashed with argon2id
// (@node-rs/argon2's defaults: 19 MiB, 2 passes, 1 lane, the OWASP minimum), never stored or
// logged in the clear.

export interface AdminAccount {
  id: string;
  email: string;
  name: string;
}

/** Longer passwords are refused rather than hashed: bounds the work one request can ask for. */
const MAX_PASSWORD_LENGTH = 1024;

/** Emails are compared trimmed and lower-cased: one account per mailbox whatever the caller typed. */
export const adminEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(320, { message: "email: at most 320 characters" })
  .pipe(z.email({ message: "email must be an email address" }));

export const adminPassword = z
  .string()
  .min(MIN_ADMIN_PASSWORD_LENGTH, { message: `password: at least ${MIN_ADMIN_PASSWORD_LENGTH} characters` })
  .max(MAX_PASSWORD_LENGTH, { message: `password: at most ${MAX_PASSWORD_LENGTH} characters` });

const newAdmin = z.object({
  email: adminEmail,
  name: z
    .string()
    .trim()
    .min(1, { message: "name is required" })
    .max(100, { message: "name: at most 100 characters" })
    .regex(/^[^\p{Cc}]+$/u, { message: "name may not hold control characters" }),
  password: adminPassword,
});

export type NewAdmin = z.input<typeof newAdmin>;

/** A refused account: invalid input or a taken email. The message is safe to show. */
export class AdminAccountError extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "duplicate",
  ) {
    super(message);
  }
}

/** The row's values: input checked, password hashed. */
async function adminRow(input: NewAdmin): Promise<[email: string, name: string, passwordHash: string]> {
  const parsed = newAdmin.safeParse(input);
  if (!parsed.success) throw new AdminAccountError(parsed.error.issues[0]?.message ?? "invalid admin", "invalid");
  const { email, name, password } = parsed.data;
  return [email, name, await hash(password)];
}

/**
 * Creates an admin, audited under `by` in the same transaction (the new account's id, email and
 * name; never the password or its hash); refuses invalid input and an email that already has an account.
 */
export async function createAdmin(db: Database, input: NewAdmin, by: Actor): Promise<AdminAccount> {
  const values = await adminRow(input);
  return db.transaction(async (tx) => {
    const [row] = await tx.sql<AdminAccount & Record<string, unknown>>(
      `INSERT INTO "AdminUser" (id, email, name, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), $1, $2, $3, now())
       ON CONFLICT (email) DO NOTHING RETURNING id, email, name`,
      values,
    );
    if (!row) throw new AdminAccountError(`an admin with the email ${values[0]} already exists`, "duplicate");
    await writeAudit(tx, { actor: by, action: "admin.create", reason: null, customerId: null, before: null, after: { id: row.id, email: row.email, name: row.name } });
    return row;
  });
}

/**
 * Creates the admin, or gives the existing one of that email this name and password: the demo
 * seed, so the password `npm start` prints is always the one that works.
 */
export async function upsertAdmin(db: Session, input: NewAdmin): Promise<AdminAccount> {
  const [row] = await db.sql<AdminAccount & Record<string, unknown>>(
    `INSERT INTO "AdminUser" (id, email, name, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), $1, $2, $3, now())
     ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, "passwordHash" = EXCLUDED."passwordHash", "updatedAt" = now()
     RETURNING id, email, name`,
    await adminRow(input),
  );
  if (!row) throw new Error("admin not written");
  return row;
}

// Verified against when the email is unknown, so an unknown email costs the same time as a
// wrong password and the answer's timing does not tell which accounts exist. Made once, lazily.
let dummyHash: Promise<string> | undefined;

/** The admin whose email and password these are, or null (unknown email and wrong password alike). */
export async function verifyAdminPassword(db: Session, email: string, password: string): Promise<AdminAccount | null> {
  const normalized = adminEmail.safeParse(email);
  const [row] = normalized.success
    ? await db.sql<AdminAccount & { passwordHash: string } & Record<string, unknown>>(`SELECT id, email, name, "passwordHash" FROM "AdminUser" WHERE email = $1`, [normalized.data])
    : [];
  dummyHash ??= hash("not the password of any admin account");
  const matches = await verify(row?.passwordHash ?? (await dummyHash), password);
  return row && matches ? { id: row.id, email: row.email, name: row.name } : null;
}
