#!/usr/bin/env bash
# `pnpm start`: builds the dashboard, then runs `spool serve --demo` from source; every SPOOL_*
# variable reaches it (SPOOL_DATA_DIR, SPOOL_DATABASE_URL, SPOOL_REDIS_URL...); without them, the
# embedded default (memory broker, memory store, no external service).
# SPOOL_HOST (default 127.0.0.1) and SPOOL_PORT (default 8080) are honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || pnpm install --frozen-lockfile
pnpm --filter @spool/dashboard build
exec node --import tsx/esm --conditions=@spool/source packages/server/src/cli.ts serve --demo "$@"
