#!/usr/bin/env bash
# Expiry at scale, measured end to end against the real service: a throwaway PostgreSQL, the service
# as the README runs it (`dotnet run -c Release --project Silo`, Development, one node), N open
# sessions loaded with SQL that writes exactly what the service writes for a Created session (its
# session_events row, cloned from one the service itself just stored, and its sessions row), of
# which D fall due within one minute a short while after the load; the rest fall due hours later.
# While the sweep works, a light wrk load of gets and creates runs, as it did before the due minute.
# Once every one of the D is expired, it reports from the database: how many expired, the lag of
# each Expired event after its session's expires_at (p50, p99, max), that each has one Expired
# event and its expired webhook row (and how many were delivered to a local receiver), the
# node's memory (RSS, GC heap) before, at peak and after, and the wrk ratios during/before.
#
# Usage: bash bench/expiry/scale.sh [open sessions, default 1000000] [due within one minute, default 100000]
# Environment: WEBHOOKS=0        no webhook URL for the business (rows are still queued, then skipped)
#              LEAD=90           seconds from the start of the due load to the first due session
#              BEFORE=20         seconds of the light load before the due minute (and DURING=60 in it)
#              DELIVERY_WAIT=900 seconds to wait after the sweep for every webhook to be delivered
#              SERVICE_ENV="K=V ..." extra settings for the service (e.g. PaySessions__Sessions__ExpireInBulk=false
#                                    to measure the grain-per-session path, PaySessions__EventStore__SweepChunkSize=64)
# Everything listens on 127.0.0.1 only; everything started here is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
total=${1:-1000000}
due=${2:-100000}
later=$((total - due))
webhooks=${WEBHOOKS:-1}
lead=${LEAD:-90}
before=${BEFORE:-20}
during=${DURING:-60}
delivery_wait=${DELIVERY_WAIT:-900}
key="sk_test_devmerchant000000000000"
counters=${DOTNET_COUNTERS:-$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")}
[ "$due" -le "$total" ] || { echo "due ($due) must not exceed the total ($total)" >&2; exit 2; }

# shellcheck source=../common.sh
source "$here/../common.sh"
ensure_wrk

dir=$(mktemp -d /tmp/paysessions-bench-expiry-XXXXXX)
pg_port=$(free_port); service_port=$(free_port); receiver_port=$(free_port)
silo_port=$(free_port); gateway_port=$(free_port)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "Kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)
say() { echo "[$(( $(date +%s) - started ))s] $*" >&2; }

[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
# Durable commits as in production: fsync and synchronous_commit keep their defaults (on).
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start \
  -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=512MB -c max_wal_size=4GB" >/dev/null
psql() { PGOPTIONS="-c client_min_messages=warning" command psql -h 127.0.0.1 -p "$pg_port" -U postgres -d paysessions -v ON_ERROR_STOP=1 -q "$@"; }
command psql -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE paysessions"

say "Building the service (Release)..."
dotnet build -c Release "$repo/Silo" >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }

webhook_env=()
if [ "$webhooks" = 1 ]; then
  setsid python3 "$here/receiver.py" "$receiver_port" "$dir/received.json" >"$dir/receiver.log" 2>&1 &
  pids+=($!)
  webhook_env=(PaySessions__DevMerchant__WebhookUrl="http://127.0.0.1:$receiver_port/hooks")
fi

# shellcheck disable=SC2086
setsid env Logging__LogLevel__Default=Warning \
  Logging__LogLevel__PaySessions.Grains.Sessions.ExpirySweeperGrain=Information \
  DOTNET_CLI_TELEMETRY_OPTOUT=1 \
  ASPNETCORE_ENVIRONMENT=Development \
  ASPNETCORE_URLS="http://127.0.0.1:$service_port" \
  ConnectionStrings__PaySessions="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=paysessions" \
  PaySessions__PublicBaseUrl="http://127.0.0.1:$service_port" \
  PaySessions__Cluster__SiloPort="$silo_port" \
  PaySessions__Cluster__GatewayPort="$gateway_port" \
  PaySessions__RateLimits__PerIp__Limit=1000000 PaySessions__RateLimits__PerIp__Window=00:00:01 \
  PaySessions__RateLimits__PerCustomer__Limit=1000000 PaySessions__RateLimits__PerCustomer__Window=00:00:01 \
  "${webhook_env[@]}" ${SERVICE_ENV:-} \
  dotnet run -c Release --no-build --no-launch-profile --project "$repo/Silo" >"$dir/service.log" 2>&1 &
run_pid=$!
pids+=("$run_pid")

for _ in $(seq 1 240); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 -H "Authorization: Bearer $key" "http://127.0.0.1:$service_port/session/none" || true)
  [ "$code" = 404 ] && break
  sleep 0.5
done
[ "$code" = 404 ] || { echo "The service did not become ready in 120 s; its log:" >&2; tail -40 "$dir/service.log" >&2; exit 1; }
# `dotnet run` starts the service as its child: that process is the node whose memory counts.
app_pid=$(ps -o pid=,args= -s "$run_pid" | awk '/PaySessions\.Silo/ && !/dotnet run/ { print $1; exit }')
[ -n "$app_pid" ] || { echo "Cannot find the service's process under $run_pid" >&2; ps -o pid=,args= -s "$run_pid" >&2; exit 1; }
say "Service ready (pid $app_pid)."

# Memory and CPU, once a second: RSS from /proc, CPU (user + system clock ticks) from /proc/PID/stat,
# the GC heap from the runtime's own counters.
( while kill -0 "$app_pid" 2>/dev/null; do
    echo "$(date +%s) $(awk '/^VmRSS:/ { print $2 }' "/proc/$app_pid/status" 2>/dev/null) $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$app_pid/stat" 2>/dev/null)"
    sleep 1
  done ) >"$dir/rss.txt" 2>/dev/null &
pids+=($!)
if [ -x "$counters" ]; then
  "$counters" collect -p "$app_pid" --refresh-interval 1 --format csv -o "$dir/counters.csv" \
    --counters "System.Runtime[dotnet.gc.last_collection.heap.size,dotnet.process.memory.working_set]" >"$dir/counters.log" 2>&1 &
  pids+=($!)
fi

# The template: one session created through the API, exactly as the service stores it.
template=$(curl -s -m 10 -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"amount":10000,"currency":"USD","customer":"bench_customer","order_id":"template","description":"Benchmark","metadata":{"plan":"premium"},"items":[{"name":"Premium Plan","quantity":2,"price":5000}]}' \
  "http://127.0.0.1:$service_port/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')

# Clones of the template's Created row and projection row: new ids, order ids and times, written
# in the stored JSON's own formats (DateTimeOffset as System.Text.Json writes it: up to 7
# fractional digits without trailing zeros, +00:00).
load() {
  local from=$1 to=$2 prefix=$3 expires=$4
  psql -v template="$template" <<SQL
SET synchronous_commit = off;
CREATE FUNCTION pg_temp.json_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS
\$\$ SELECT regexp_replace(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\.?0+\$', '') || '+00:00' \$\$;
CREATE TEMP TABLE template AS
SELECT e.data::text AS data, e.data->>'order_id' AS order_id, e.data->>'event_id' AS event_id,
       e.data->>'expires_at' AS expires_at, e.data->>'occurred_at' AS occurred_at,
       s.business_id, s.customer, s.amount, s.currency, s.livemode
FROM session_events e JOIN sessions s ON s.session_id = e.stream_id
WHERE e.stream_id = :'template' AND e.version = 1;
CREATE TEMP TABLE batch AS
SELECT md5('bench-' || i) AS session_id, '$prefix' || i AS order_id, gen_random_uuid() AS event_id,
       $expires AS expires_at
FROM generate_series($from, $to) AS i;
INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at, recorded_at)
SELECT b.session_id, 1, b.event_id, 'Created',
       replace(replace(replace(replace(t.data,
         '"order_id":"' || t.order_id || '"', '"order_id":"' || b.order_id || '"'),
         '"expires_at":"' || t.expires_at || '"', '"expires_at":"' || pg_temp.json_time(b.expires_at) || '"'),
         '"event_id":"' || t.event_id || '"', '"event_id":"' || b.event_id || '"'),
         '"occurred_at":"' || t.occurred_at || '"', '"occurred_at":"' || pg_temp.json_time(b.expires_at - interval '24 hours') || '"')::json,
       b.expires_at - interval '24 hours', b.expires_at - interval '24 hours'
FROM batch b CROSS JOIN template t;
INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version, livemode, updated_at)
SELECT b.session_id, t.business_id, b.order_id, t.customer, 'created', t.amount, t.currency,
       b.expires_at - interval '24 hours', b.expires_at, 1, t.livemode, b.expires_at - interval '24 hours'
FROM batch b CROSS JOIN template t;
SQL
}
say "Loading $later sessions due hours from now..."
if [ "$later" -gt 0 ]; then
  load 1 "$later" later- "now() + interval '2 hours' + random() * interval '20 hours'"
fi
say "Loading $due sessions due within one minute, the first $lead s from now..."
t0=$(( $(date +%s) + lead ))
load $((later + 1)) "$total" due- "to_timestamp($t0) + (i - $later - 1) * interval '60 seconds' / $due"
t_end=$((t0 + 60))
psql -c "VACUUM ANALYZE sessions" -c "VACUUM ANALYZE session_events"
say "Loaded. Due from $(date -u -d "@$t0" +%T) to $(date -u -d "@$t_end" +%T) UTC."

# Sanity: a clone reads back through the service like the template (the grain replays its row).
probe=$(psql -At -c "SELECT session_id FROM sessions WHERE order_id IN ('later-1', 'due-$total') ORDER BY order_id DESC LIMIT 1")
probe_status=$(curl -s -m 10 -H "Authorization: Bearer $key" "http://127.0.0.1:$service_port/session/$probe" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))')
[ "$probe_status" = created ] || { echo "A loaded session does not read back as created: $probe_status" >&2; exit 1; }

# Reads go to sessions that stay open; creates add sessions due tomorrow.
psql -At -c "SELECT session_id FROM sessions WHERE status = 'created' AND expires_at > now() + interval '1 hour' ORDER BY random() LIMIT 2000" >"$dir/get.ids"

drive() {
  local conns=$1 duration=$2; shift 2
  wrk -t 1 -c "$conns" -d "${duration}s" --timeout 10s --latency \
      -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
      "http://127.0.0.1:$service_port" "$@" 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v * 0.001; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /requests in/ { total = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "%s %s %s %d\n", rps == "" ? 0 : rps, p50 == "" ? 0 : p50, p99 == "" ? 0 : p99, bad }'
}
light_load() {
  local tag=$1 duration=$2
  drive 2 "$duration" -s "$repo/bench/create/get.lua" -- "$dir/get.ids" >"$dir/$tag.get" &
  local g=$!
  drive 1 "$duration" -s "$repo/bench/create/create.lua" -- "$tag" >"$dir/$tag.create" &
  local c=$!
  wait "$g" "$c"
}
rss_at() { awk -v t="$1" '$1 <= t && $2 != "" { v = $2 } END { printf "%.0f", v / 1024 }' "$dir/rss.txt"; }

say "Warming up, then the light load before the due minute (${before}s)..."
light_load warm 5
light_load before "$before"
rss_before=$(rss_at "$(date +%s)")
t_before=$(date +%s)
if [ "$(date +%s)" -ge "$t0" ]; then
  echo "warning: the light load before ran into the due minute; raise LEAD" >&2
fi
while [ "$(date +%s)" -lt "$t0" ]; do sleep 0.2; done

say "The due minute: light load for ${during}s while the sweep works..."
light_load during "$during"
open_due() { psql -At -c "SELECT count(*) FROM sessions WHERE status IN ('created', 'payment_initiated') AND expires_at <= to_timestamp($t_end)"; }
while [ "$(date +%s)" -lt "$t_end" ] || [ "$(open_due)" != 0 ]; do
  if [ $(( $(date +%s) - t_end )) -gt 1800 ]; then echo "Gave up: sessions still open 30 minutes after the due minute" >&2; break; fi
  sleep 2
done
t_done=$(date +%s)
say "Every due session is expired; letting the node settle for 60 s..."
sleep 60
t_after=$(date +%s)
rss_after=$(rss_at "$t_after")

if [ "$webhooks" = 1 ]; then
  say "Waiting up to ${delivery_wait}s for the webhooks to be delivered..."
  deadline=$(( $(date +%s) + delivery_wait ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    pending=$(psql -At -c "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND type = 'expired'")
    [ "$pending" = 0 ] && break
    sleep 2
  done
fi

echo
echo "## Expiry at scale: $total open sessions, $due due within one minute"
echo
psql -At -F ' ' <<SQL | awk '{ printf "expired: %d of %d (projection %d); Expired events %d (sessions with more than one: %d)\nlag after expires_at, seconds: p50 %.1f, p99 %.1f, max %.1f (committed: p99 %.1f, max %.1f)\nexpired webhook rows: %d (delivered %d); sessions due later that ended: %d\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }'
WITH cohort AS (SELECT session_id, expires_at, status FROM sessions WHERE order_id LIKE 'due-%'),
     expired AS (SELECT e.stream_id, e.occurred_at, e.recorded_at FROM session_events e JOIN cohort c ON c.session_id = e.stream_id WHERE e.type = 'Expired'),
     lag AS (SELECT extract(epoch FROM x.occurred_at - c.expires_at) AS s, extract(epoch FROM x.recorded_at - c.expires_at) AS r
             FROM expired x JOIN cohort c ON c.session_id = x.stream_id)
SELECT (SELECT count(DISTINCT stream_id) FROM expired), (SELECT count(*) FROM cohort),
       (SELECT count(*) FROM cohort WHERE status = 'expired'),
       (SELECT count(*) FROM expired), (SELECT count(*) FROM (SELECT stream_id FROM expired GROUP BY 1 HAVING count(*) > 1) d),
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FROM lag), (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY s) FROM lag), (SELECT max(s) FROM lag),
       (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY r) FROM lag), (SELECT max(r) FROM lag),
       (SELECT count(*) FROM webhook_deliveries w JOIN cohort c USING (session_id) WHERE w.type = 'expired'),
       (SELECT count(*) FROM webhook_deliveries w JOIN cohort c USING (session_id) WHERE w.type = 'expired' AND w.status = 'delivered'),
       (SELECT count(*) FROM sessions WHERE order_id LIKE 'later-%' AND status NOT IN ('created', 'payment_initiated'))
SQL
last=$(psql -At -c "SELECT extract(epoch FROM max(e.occurred_at))::bigint FROM session_events e WHERE e.type = 'Expired'")
echo "sweep: first due $(date -u -d "@$t0" +%T), last due $(date -u -d "@$t_end" +%T), last Expired event $(date -u -d "@$last" +%T) UTC"
if [ "$webhooks" = 1 ]; then
  delivered_last=$(psql -At -c "SELECT coalesce(extract(epoch FROM max(delivered_at))::bigint, 0) FROM webhook_deliveries WHERE type = 'expired' AND status = 'delivered'")
  echo "webhooks received by the local endpoint: $(cat "$dir/received.json" 2>/dev/null || echo '{}'); last delivery $(date -u -d "@$delivered_last" +%T) UTC, $(( delivered_last - last ))s after the last Expired event"
  read -r d_first d_count d_rate <<<"$(psql -At -F ' ' -c "SELECT extract(epoch FROM min(delivered_at))::bigint, count(*), round(count(*) / greatest(extract(epoch FROM max(delivered_at) - min(delivered_at)), 1))::int FROM webhook_deliveries WHERE type = 'expired' AND status = 'delivered'")"
  echo "expired webhooks delivered: $d_count from $(date -u -d "@$d_first" +%T) to $(date -u -d "@$delivered_last" +%T) UTC ($(( delivered_last - d_first ))s, $d_rate/s), the last $(( delivered_last - t0 ))s after the first due session"
  # The node's CPU while it only delivers (after the load and the sweep, until the last delivery).
  tail_count=$(psql -At -c "SELECT count(*) FROM webhook_deliveries WHERE type = 'expired' AND status = 'delivered' AND delivered_at >= to_timestamp($t_after)")
  if [ "$tail_count" -gt 1000 ]; then
    hz=$(getconf CLK_TCK)
    awk -v a="$t_after" -v b="$delivered_last" -v n="$tail_count" -v hz="$hz" '
      $1 >= a && $3 != "" && c0 == "" { c0 = $3; t0 = $1 } $1 <= b && $3 != "" { c1 = $3; t1 = $1 }
      END { if (t1 > t0) printf "node CPU while only delivering: %.1f s in %d s for %d deliveries (%.0f%% of a core, %.0f us of CPU each, idle work included)\n", (c1 - c0) / hz, t1 - t0, n * (t1 - t0) / (b - a), 100 * (c1 - c0) / hz / (t1 - t0), 1e6 * (c1 - c0) / hz / (n * (t1 - t0) / (b - a)) }' "$dir/rss.txt"
  fi
fi

peak_rss=$(awk -v a="$t0" -v b="$t_done" '$1 >= a && $1 <= b && $2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$dir/rss.txt")
heap() {
  # dotnet-counters csv: Timestamp,Provider,Counter Name,Counter Type,Mean/Increment
  [ -f "$dir/counters.csv" ] || { echo "n/a n/a n/a"; return; }
  python3 - "$dir/counters.csv" "$t_before" "$t0" "$t_done" "$t_after" <<'PY'
import csv, sys, datetime
path, before, t0, done, after = sys.argv[1], *map(int, sys.argv[2:])
# The heap after the last collection is reported per generation: a sample is their sum.
sums = {}
for r in csv.reader(open(path)):
    if len(r) < 5 or 'heap.size' not in r[2]:
        continue
    try:
        ts = datetime.datetime.strptime(r[0][:19], '%m/%d/%Y %H:%M:%S').timestamp()
    except ValueError:
        continue
    sums[ts] = sums.get(ts, 0) + float(r[4]) / 1048576
rows = sorted(sums.items())
def at(t):
    v = [x for ts, x in rows if ts <= t]
    return '%.0f' % v[-1] if v else 'n/a'
peak = [x for ts, x in rows if t0 <= ts <= done]
print(at(before), '%.0f' % max(peak) if peak else 'n/a', at(after))
PY
}
read -r heap_before heap_peak heap_after <<<"$(TZ=UTC heap)"
echo "memory of the node (MB): RSS before $rss_before, peak $peak_rss, after $rss_after; GC heap before $heap_before, peak $heap_peak, after $heap_after"
echo
echo "| light load | before req/s | p50 | p99 | during req/s | p50 | p99 | p50 × | p99 × |"
echo "|---|---|---|---|---|---|---|---|---|"
for op in get create; do
  read -r b_rps b_p50 b_p99 b_bad <"$dir/before.$op"
  read -r d_rps d_p50 d_p99 d_bad <"$dir/during.$op"
  awk -v op="$op" -v br="$b_rps" -v b50="$b_p50" -v b99="$b_p99" -v dr="$d_rps" -v d50="$d_p50" -v d99="$d_p99" 'BEGIN {
    printf "| %s | %\047.0f | %.2f ms | %.2f ms | %\047.0f | %.2f ms | %.2f ms | %.2f | %.2f |\n", op, br, b50, b99, dr, d50, d99, (b50 > 0 ? d50 / b50 : 0), (b99 > 0 ? d99 / b99 : 0) }'
  [ "$b_bad$d_bad" = 00 ] || echo "($op: non-2xx before $b_bad, during $d_bad)"
done
echo
echo "get: 2 connections over 2,000 open sessions; create: 1 connection. before: ${before}s ending $(( t0 - t_before ))s before the due minute; during: the first ${during}s of it."
echo "$(nproc) cores shared by wrk, PostgreSQL $("$bin/postgres" --version | awk '{print $3}') (fsync and synchronous_commit on), the service and the receiver; run took $(( $(date +%s) - started ))s."
grep -E "Expiry sweep" "$dir/service.log" | tail -5 || true
