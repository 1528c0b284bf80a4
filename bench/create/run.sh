#!/usr/bin/env bash
# Create, read and pay-plus-webhook, PaySessions versus a plain ASP.NET Core + Npgsql service, side by side in one run.
# Starts a throwaway PostgreSQL (two databases), the service as the README runs it
# (`dotnet run -c Release --project Silo`, Development) and the baseline in bench/create/Baseline,
# drives both with wrk at 1, 16 and 64 connections, and prints one markdown table.
# Usage: bash bench/create/run.sh [seconds per cell, default 10]
#        SERVICE_ENV="NAME=value ..." adds settings to the service's environment only (an A/B of a
#        setting: run once with and once without).
#        bash bench/create/run.sh --serve   starts PostgreSQL and both sides as a run does, prints
#        their ports and the service's process id (for dotnet-counters and dotnet-trace), and keeps
#        them up until interrupted.
# Everything listens on 127.0.0.1 only; everything started here is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
serve=false
if [ "${1:-}" = --serve ]; then serve=true; shift; fi
seconds=${1:-10}
connections=(1 16 64)
key="sk_test_devmerchant000000000000"
# The sandbox provider's webhook secret in Development (Silo/appsettings.Development.json).
sandbox_secret="whsec_sandbox_development_only_0000"

# shellcheck source=../common.sh
source "$here/../common.sh"
ensure_wrk

dir=$(mktemp -d /tmp/paysessions-bench-create-XXXXXX)
pg_port=$(free_port); service_port=$(free_port); baseline_port=$(free_port)
silo_port=$(free_port); gateway_port=$(free_port)
pids=()
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
# Durable commits as in production: fsync and synchronous_commit keep their defaults (on).
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start \
  -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB" >/dev/null
psql() { PGOPTIONS="-c client_min_messages=warning" command psql -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -q "$@"; }
psql -c "CREATE DATABASE paysessions" -c "CREATE DATABASE baseline"
# The baseline's schema: the project's own scripts (the service runs them itself at start-up).
for f in "$repo"/deploy/sql/*.sql; do psql -d baseline -f "$f" >/dev/null; done

echo "Building the service and the baseline (Release)..." >&2
dotnet build -c Release "$repo/Silo" >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }
dotnet build -c Release "$here/Baseline" >>"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }

common_env=(
  Logging__LogLevel__Default=Warning
  Logging__LogLevel__Microsoft.AspNetCore=Warning
  DOTNET_CLI_TELEMETRY_OPTOUT=1
)
# The service as the README runs it, Development (dev merchant and keys), pointed at the
# throwaway database; rate limits raised to their maximum so they never throttle the benchmark.
setsid env "${common_env[@]}" \
  ASPNETCORE_ENVIRONMENT=Development \
  ASPNETCORE_URLS="http://127.0.0.1:$service_port" \
  ConnectionStrings__PaySessions="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=paysessions" \
  PaySessions__PublicBaseUrl="http://127.0.0.1:$service_port" \
  PaySessions__Cluster__SiloPort="$silo_port" \
  PaySessions__Cluster__GatewayPort="$gateway_port" \
  PaySessions__RateLimits__PerIp__Limit=1000000 PaySessions__RateLimits__PerIp__Window=00:00:01 \
  PaySessions__RateLimits__PerCustomer__Limit=1000000 PaySessions__RateLimits__PerCustomer__Window=00:00:01 \
  ${SERVICE_ENV:-} \
  dotnet run -c Release --no-build --no-launch-profile --project "$repo/Silo" >"$dir/service.log" 2>&1 &
pids+=($!)
setsid env "${common_env[@]}" \
  ASPNETCORE_URLS="http://127.0.0.1:$baseline_port" \
  ConnectionStrings__Baseline="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=baseline" \
  Baseline__SecretKey="$key" Baseline__SandboxSecret="$sandbox_secret" \
  Baseline__PublicBaseUrl="http://127.0.0.1:$baseline_port" \
  dotnet "$here/Baseline/bin/Release/net10.0/PaySessions.Bench.Baseline.dll" >"$dir/baseline.log" 2>&1 &
pids+=($!)

# Ready when an authenticated read of an unknown session answers 404 (the key is known by then).
wait_ready() {
  local name=$1 port=$2 log=$3
  for _ in $(seq 1 240); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 -H "Authorization: Bearer $key" "http://127.0.0.1:$port/session/none" || true)
    [ "$code" = 404 ] && return 0
    sleep 0.5
  done
  echo "$name did not become ready in 120 s; its log:" >&2; tail -40 "$log" >&2; exit 1
}
wait_ready service "$service_port" "$dir/service.log"
wait_ready baseline "$baseline_port" "$dir/baseline.log"

# Both sides must do the work being compared: a good body creates (201), a body whose amount is
# not the sum of its items is refused (400), and the created session reads back (200).
smoke() {
  local name=$1 port=$2 url="http://127.0.0.1:$2/session" body
  body='{"amount":10000,"currency":"USD","customer":"c","order_id":"smoke-%s","items":[{"name":"A","quantity":2,"price":%d}]}'
  post() { curl -s -m 10 -o "$dir/smoke.out" -w '%{http_code}' -H "Authorization: Bearer $key" -H "Content-Type: application/json" -d "$1" "$url"; }
  [ "$(post "$(printf "$body" bad 4999)")" = 400 ] || { echo "$name accepted a wrong amount" >&2; exit 1; }
  [ "$(post "$(printf "$body" good 5000)")" = 201 ] || { echo "$name refused a good create: $(cat "$dir/smoke.out")" >&2; exit 1; }
  local id; id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_id"])' "$dir/smoke.out")
  [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$url/$id")" = 200 ] || { echo "$name cannot read $id" >&2; exit 1; }
}
smoke service "$service_port"
smoke baseline "$baseline_port"

if $serve; then
  # dotnet run starts the service as a child: the process to attach tools to is the Silo's dll.
  service_pid=$(pgrep -g "${pids[0]}" -f 'PaySessions.Silo' | tail -1 || true)
  cat <<EOF2
service=http://127.0.0.1:$service_port (process $service_pid)
baseline=http://127.0.0.1:$baseline_port
postgres=Host=127.0.0.1;Port=$pg_port;Username=postgres (databases paysessions, baseline)
key=$key
logs=$dir
Serving until interrupted.
EOF2
  # sleep in the background and wait for it: bash runs the TERM trap (and so the clean-up) at once
  # only while it waits, not while a foreground command runs.
  while true; do sleep 3600 & wait $!; done
fi

# One wrk run; prints "req/s p50_ms p99_ms non2xx socket_errors", req/s counting 2xx answers only.
drive() {
  local port=$1 conns=$2 duration=$3; shift 3
  local threads=$(( conns < 2 ? conns : 2 ))
  wrk -t "$threads" -c "$conns" -d "${duration}s" --timeout 10s --latency \
      -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
      "http://127.0.0.1:$port" "$@" 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v * 0.001; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /requests in/ { total = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(",", ""); errs = $4 + $6 + $8 + $10 }
    END { if (total > 0) rps = rps * (total - bad) / total
          printf "%s %s %s %d %d\n", rps == "" ? 0 : rps, p50 == "" ? 0 : p50, p99 == "" ? 0 : p99, bad, errs }'
}

echo "Warming up both (JIT, pools)..." >&2
# Long enough for tiered compilation to settle on both sides (hot methods are recompiled in the
# background after their first calls, with profile-guided optimisation) and for start-up's own
# background work to end: with 3 s the service's first cell ran noticeably slower than the same
# cell run again later.
for side in "$service_port" "$baseline_port"; do
  drive "$side" 16 8 -s "$here/create.lua" -- warm >/dev/null
  drive "$side" 1 4 -s "$here/create.lua" -- warm1 >/dev/null
done

rows=()
notes=()
record() {
  local op=$1 conns=$2 s=$3 b=$4
  read -r s_rps s_p50 s_p99 s_bad s_err <<<"$s"
  read -r b_rps b_p50 b_p99 b_bad b_err <<<"$b"
  rows+=("$(awk -v op="$op" -v c="$conns" -v sr="$s_rps" -v s50="$s_p50" -v s99="$s_p99" \
               -v br="$b_rps" -v b50="$b_p50" -v b99="$b_p99" 'BEGIN {
    printf "| %s | %d | %\047.0f | %.2f ms | %.2f ms | %\047.0f | %.2f ms | %.2f ms | %.2f× |", op, c, sr, s50, s99, br, b50, b99, (br > 0 ? sr / br : 0) }')")
  if [ "$s_bad$s_err$b_bad$b_err" != 0000 ]; then
    notes+=("$op at $conns: service non-2xx $s_bad, socket errors $s_err; baseline non-2xx $b_bad, socket errors $b_err")
  fi
}

for c in "${connections[@]}"; do
  echo "create, $c connections, ${seconds}s each..." >&2
  s=$(drive "$service_port" "$c" "$seconds" -s "$here/create.lua" -- "c$c")
  b=$(drive "$baseline_port" "$c" "$seconds" -s "$here/create.lua" -- "c$c")
  record create "$c" "$s" "$b"
done

# Reads of sessions the create runs just made (up to 5,000 ids per side, picked at random).
psql -d paysessions -At -c "SELECT session_id FROM sessions ORDER BY random() LIMIT 5000" >"$dir/service.ids"
psql -d baseline -At -c "SELECT session_id FROM sessions ORDER BY random() LIMIT 5000" >"$dir/baseline.ids"
for c in "${connections[@]}"; do
  echo "get, $c connections, ${seconds}s each..." >&2
  s=$(drive "$service_port" "$c" "$seconds" -s "$here/get.lua" -- "$dir/service.ids")
  b=$(drive "$baseline_port" "$c" "$seconds" -s "$here/get.lua" -- "$dir/baseline.ids")
  record get "$c" "$s" "$b"
done

# Pay, then the provider's signed webhook, for sessions still open: each cell takes the sessions
# that are still open on that side, signs their webhooks just before it starts (signatures hold
# 5 minutes), and pays each session once.
unpaid() { psql -d "$1" -At -c "SELECT session_id FROM sessions WHERE status = 'created' ORDER BY random()"; }
for c in "${connections[@]}"; do
  threads=$(( c < 2 ? c : 2 ))
  echo "pay+webhook, $c connections, ${seconds}s each..." >&2
  unpaid paysessions | python3 "$here/sign.py" "$sandbox_secret" >"$dir/service.pay"
  unpaid baseline | python3 "$here/sign.py" "$sandbox_secret" >"$dir/baseline.pay"
  s=$(drive "$service_port" "$c" "$seconds" -s "$here/pay.lua" -- "$dir/service.pay" "$threads")
  b=$(drive "$baseline_port" "$c" "$seconds" -s "$here/pay.lua" -- "$dir/baseline.pay" "$threads")
  record "pay+webhook" "$c" "$s" "$b"
done
completed() { psql -d "$1" -At -c "SELECT count(*) FROM sessions WHERE status = 'completed'"; }
service_completed=$(completed paysessions); baseline_completed=$(completed baseline)

echo
echo "| op | connections | service req/s | p50 | p99 | baseline req/s | p50 | p99 | ratio (service/baseline) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "wrk, ${seconds}s per cell, $(nproc) cores shared by wrk, PostgreSQL $("$bin/postgres" --version | awk '{print $3}') (fsync and synchronous_commit on) and both services."
echo "pay+webhook: POST /session/{id}/pay with sandbox_card, then the sandbox's signed payment.succeeded webhook; each is one request in req/s, p50 and p99."
echo "Sessions the webhooks completed: service $service_completed, baseline $baseline_completed."
if [ ${#notes[@]} -gt 0 ]; then
  echo "Requests that did not answer 2xx (not counted in req/s, but in p50/p99; in a pay+webhook row, a side that ran out of open sessions sends cheap 404s):"
  printf -- '- %s\n' "${notes[@]}"
else
  echo "Every request answered 2xx on both sides."
fi
