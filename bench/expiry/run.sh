#!/usr/bin/env bash
# Expiry design, measured: one reminder-driven sweep over the sessions projection versus one
# Orleans reminder per session. Starts a throwaway PostgreSQL, loads the schema, fills it with
# 1,000,000 open sessions (1% of them already due), then measures side by side in one run:
#   - the sweep's page query (500 due sessions) against the million rows;
#   - create throughput with and without a per-session reminder row.
# Usage: bash bench/expiry/run.sh [seconds per throughput run, default 15] [clients, default 8]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../common.sh
source "$here/../common.sh"
seconds=${1:-15}
clients=${2:-8}
dir=$(mktemp -d /tmp/paysessions-bench-XXXXXX)
port=$((20000 + RANDOM % 20000))
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB" -l "$dir/log" -w start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null; rm -rf "$dir"' EXIT
psql() { command psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q "$@"; }
pgbench() { "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres "$@" postgres; }

for f in "$repo"/deploy/sql/*.sql; do psql -f "$f" >/dev/null 2>&1; done
echo "Loading 1,000,000 open sessions..."
psql -c "INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version)
         SELECT 's' || i, 'bench', 'order_' || i, 'c', 'created', 10000, 'USD', now(),
                now() + ((i % 100) - 1) * interval '15 minutes', 1
         FROM generate_series(1, 1000000) AS i" >/dev/null
psql -c "VACUUM ANALYZE sessions" >/dev/null

echo
echo "Sweep page (500 due of 1,000,000 open), plan:"
psql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $(grep -v '^--' "$here/sweep.sql")" | sed 's/^/  /'
pgbench -n -c 1 -T 5 -f "$here/sweep.sql" 2>&1 | grep -E "latency average" | sed "s/^/  sweep page /" || true

echo
echo "Create throughput, $clients clients, ${seconds}s each, side by side:"
plain=$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f "$here/create.sql" 2>/dev/null | grep -Eo 'tps = [0-9.]+' | grep -Eo '[0-9.]+')
reminder=$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f "$here/create_with_reminder.sql" 2>/dev/null | grep -Eo 'tps = [0-9.]+' | grep -Eo '[0-9.]+')
echo "  events + projection:                 $plain creates/s"
echo "  events + projection + reminder row:  $reminder creates/s"
awk -v a="$plain" -v b="$reminder" 'BEGIN { printf "  a reminder per session costs %.0f%% of create throughput\n", (1 - b / a) * 100 }'
