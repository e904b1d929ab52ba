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
echo "== tests on PostgreSQL"; TEST_DB=postgres npx vitest run
