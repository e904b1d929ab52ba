import { doctorExitCode, doctorReport, formatChecklist, runDoctor } from "../lib/doctor";

// `npm run doctor [-- --json]`: checks the real production setup before launch (see README,
// "Going live"), prints the checklist with a fix for each failure and exits 1 when a must-have fails.

const json = process.argv.includes("--json");
const results = await runDoctor({ env: process.env });
process.stdout.write(`${json ? JSON.stringify(doctorReport(results), null, 2) : formatChecklist(results)}\n`);
process.exitCode = doctorExitCode(results);
