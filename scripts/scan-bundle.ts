// The bundle scan (npm test's build step): builds the app with a canary value in every secret
// variable (lib/security/bundle-scan.ts derives the list from lib/config.ts), then fails if any
// canary, or any server-only variable name, appears in a file a browser can fetch.
//   tsx scripts/scan-bundle.ts          build with canaries, then scan
//   tsx scripts/scan-bundle.ts --no-build   scan the existing build for variable names only
import { spawnSync } from "node:child_process";
import path from "node:path";
import { clientDirs, isClientFile, makeCanaries, scanFiles, serverOnlyNames } from "../lib/security/bundle-scan";

const distDir = path.resolve(".next");
const build = !process.argv.includes("--no-build");
const canaries = makeCanaries();

if (build) {
  const started = Date.now();
  const result = spawnSync("npx", ["next", "build"], { env: { ...process.env, ...canaries.env, NEXT_TELEMETRY_DISABLED: "1" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    console.error("bundle scan: next build failed");
    process.exit(result.status ?? 1);
  }
  console.log(`bundle scan: built with ${canaries.values.length} canary secrets in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const findings = await scanFiles(clientDirs(distDir), { values: build ? canaries.values : [], names: serverOnlyNames() }, isClientFile(distDir));
if (findings.length > 0) {
  console.error("bundle scan: server-only data in client files:");
  for (const finding of findings) console.error(`  ${path.relative(process.cwd(), finding.file)}: ${finding.kind} ${finding.what}`);
  process.exit(1);
}
console.log(`bundle scan: no secret value (${canaries.values.length} checked) and no server-only variable name (${serverOnlyNames().length}) in .next/static or prerendered pages`);
