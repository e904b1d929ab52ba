#!/usr/bin/env bash
# The whole test suite: static checks, then every test on the embedded database (PGlite)
# and again on a real PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

bash scripts/services.sh
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres:postgres@127.0.0.1:5432/postgres}"

echo "== typecheck"; npx tsc --noEmit -p .
echo "== lint"; npx eslint . --max-warnings 0
echo "== build"; npx next build >/dev/null
echo "== tests on PGlite"; TEST_DB=pglite npx vitest run
# The offline model must pass every scenario; a configured hosted model is for `npm run eval`, not the gate.
echo "== evals (offline model, gate: 100%)"; env -u OPENAI_API_KEY TEST_DB=pglite npx tsx evals/run.ts --trials 2 --gate --out test-results/evals
echo "== tests on PostgreSQL"; TEST_DB=postgres npx vitest run
