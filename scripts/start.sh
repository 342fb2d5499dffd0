#!/usr/bin/env bash
# `pnpm start`: builds the dashboard when its build is stale, then runs `spool serve` from
# source with the demo on. Every SPOOL_* variable reaches it unchanged (SPOOL_REDIS_URL,
# SPOOL_INSTANCE_ID, SPOOL_DATA_DIR, SPOOL_DATABASE_URL...); SPOOL_DEMO=0 turns the demo off.
# Without them, the embedded default (memory broker, memory store, no external service).
# SPOOL_HOST (default 127.0.0.1) and SPOOL_PORT (default 8080) are honoured. Several starts
# at once from one checkout (a local cluster on Redis) build the dashboard once between them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || pnpm install --frozen-lockfile
node scripts/dashboard-build.mjs
# The demo is on unless SPOOL_DEMO says otherwise (a flag would override the variable).
export SPOOL_DEMO="${SPOOL_DEMO:-1}"
exec node --import tsx/esm --conditions=@spool/source packages/server/src/cli.ts serve "$@"
