// npm run db:migrate: applies committed migrations (with Prisma's bookkeeping).
import { env } from "../lib/config";
import { openDatabase } from "../lib/db";
import { migrate } from "../lib/migrations";

const config = env();
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: `${config.DATA_DIR}/pglite` });
const ran = await migrate(db);
console.log(ran.length ? `applied: ${ran.join(", ")}` : "database is up to date");
await db.close();
