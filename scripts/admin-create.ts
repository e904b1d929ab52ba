// npm run admin:create -- --email <email> [--name <name>]: creates a support console admin.
// The password (12 characters at least) is asked for twice without echo on a terminal, or read
// from stdin otherwise: `printf '%s' "$PASSWORD" | npm run admin:create -- --email ana@example.com`.
// Exits 0 when created, 1 when refused (a taken email, an invalid value), 2 on a usage error.
// On the embedded database, stop `npm start` first: that database has one owner at a time.
import os from "node:os";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { env } from "../lib/config";
import { openDatabase, type Database } from "../lib/db";
import { AdminAccountError, createAdmin } from "../lib/admin/accounts";

const USAGE = "usage: npm run admin:create -- --email <email> [--name <display name>]   (password: prompted, or on stdin)";

const options = z.object({
  email: z.string({ message: "--email is required" }).min(1, { message: "--email is required" }),
  /** Unset: the email's local part. */
  name: z.string().optional(),
});

export interface AdminCreateIo {
  db: Database;
  /** Who runs the command: the audit row's actor. */
  operator: string;
  /** The new admin's password: prompted for, or read from stdin. */
  password(): Promise<string>;
  out(line: string): void;
  err(line: string): void;
}

/** Runs the command on `argv` (the arguments after the script); resolves to the exit code. */
export async function adminCreate(argv: string[], io: AdminCreateIo): Promise<number> {
  let parsed: z.output<typeof options>;
  try {
    const { values } = parseArgs({ args: argv, options: { email: { type: "string" }, name: { type: "string" } }, strict: true, allowPositionals: false });
    const checked = options.safeParse(values);
    if (!checked.success) throw new Error(checked.error.issues[0]?.message ?? "invalid arguments");
    parsed = checked.data;
  } catch (error) {
    io.err(`admin:create: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const name = parsed.name ?? parsed.email.trim().split("@")[0] ?? "";
  try {
    const password = await io.password();
    const admin = await createAdmin(io.db, { email: parsed.email, name, password }, { kind: "operator", user: io.operator });
    io.out(`created admin ${admin.name} <${admin.email}>`);
    return 0;
  } catch (error) {
    if (error instanceof AdminAccountError || error instanceof PasswordInputError) {
      io.err(`admin:create: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** The password could not be read (cancelled, empty, the two entries differ). */
export class PasswordInputError extends Error {}

/** All of stdin, less one trailing line break (what `echo` or a file adds). */
export async function readPasswordFrom(stream: AsyncIterable<Buffer | string>): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new PasswordInputError("no password on stdin");
  return password;
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003" || (char === "\u0004" && value === "")) return finish(new PasswordInputError("cancelled"));
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else if (char >= " ") value += char;
      }
    };
    stdin.on("data", onData);
  });
}

async function promptPassword(): Promise<string> {
  const password = await promptHidden("Password (12 characters at least): ");
  if ((await promptHidden("Password again: ")) !== password) throw new PasswordInputError("the two passwords differ");
  return password;
}

async function main() {
  const config = env();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: `${config.DATA_DIR}/pglite` });
  try {
    return await adminCreate(process.argv.slice(2), {
      db,
      operator: os.userInfo().username,
      password: () => (process.stdin.isTTY ? promptPassword() : readPasswordFrom(process.stdin)),
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await db.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`admin:create: ${error.message}`);
      process.exit(1);
    },
  );
}
