#!/usr/bin/env bash
# A node's death under load, measured: 2 or 3 Silo processes (Release) on loopback sharing one
# throwaway PostgreSQL, creates and reads spread over every node (bench/failover/load.cs), one node
# SIGKILLed mid-run (or, with `rolling`, every node in turn stopped gracefully and started again),
# then what the clients saw (bench/failover/report.py).
# Usage: bash bench/failover/run.sh [kill|rolling] [nodes, default 2] [seconds, default 40] [connections, default 32]
#        (rolling: the load runs until every node is back, and at least the seconds given)
#        SERVICE_ENV="PaySessions__Cluster__ProbeTimeout=00:00:05 ..." sets extra settings on every node.
# Everything listens on 127.0.0.1 only; everything started here is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:-kill}
nodes=${2:-2}
seconds=${3:-40}
connections=${4:-32}
key="sk_test_devmerchant000000000000"
read -r -a extra_env <<<"${SERVICE_ENV:-}"

# shellcheck source=../common.sh
source "$here/../common.sh"

dir=$(mktemp -d /tmp/paysessions-bench-failover-XXXXXX)
pg_port=$(free_port)
declare -a http_ports silo_ports gateway_ports pids urls
for i in $(seq 0 $((nodes - 1))); do
  http_ports[i]=$(free_port); silo_ports[i]=$(free_port); gateway_ports[i]=$(free_port)
  urls[i]="http://127.0.0.1:${http_ports[i]}"
done
load_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A control line written after the load client ended would kill this script silently (SIGPIPE).
trap 'echo "the load client is gone (see load.out below)" >&2; cat "$dir/load.out" >&2' PIPE

[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start \
  -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE paysessions"

echo "Building the service and the load client (Release)..." >&2
dotnet build -c Release "$repo/Silo" >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }
dotnet build -c Release "$here/load.cs" >>"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }
silo_dll="$repo/Silo/bin/Release/net10.0/PaySessions.Silo.dll"

# Node i, as the README runs a second node: same database and cluster id, ports of its own.
# The process is the Silo's own (dotnet <dll>), so a kill reaches it and not a launcher.
start_node() {
  local i=$1
  env Logging__LogLevel__Default=Warning Logging__LogLevel__Microsoft.AspNetCore=Warning \
    Logging__LogLevel__PaySessions.Api.Http.ApiExceptionHandler=Information \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 ASPNETCORE_ENVIRONMENT=Development \
    ASPNETCORE_URLS="${urls[i]}" \
    ConnectionStrings__PaySessions="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=paysessions" \
    PaySessions__PublicBaseUrl="${urls[i]}" \
    PaySessions__Cluster__SiloPort="${silo_ports[i]}" PaySessions__Cluster__GatewayPort="${gateway_ports[i]}" \
    PaySessions__RateLimits__PerIp__Limit=1000000 PaySessions__RateLimits__PerIp__Window=00:00:01 \
    PaySessions__RateLimits__PerCustomer__Limit=1000000 PaySessions__RateLimits__PerCustomer__Window=00:00:01 \
    "${extra_env[@]}" \
    bash -c "cd \"$repo/Silo\" && exec dotnet \"$silo_dll\"" >>"$dir/node$i.log" 2>&1 &
  pids[i]=$!
}
wait_ready() {
  local i=$1
  for _ in $(seq 1 240); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 -H "Authorization: Bearer $key" "${urls[i]}/session/none" || true)
    [ "$code" = 404 ] && return 0
    kill -0 "${pids[i]}" 2>/dev/null || break
    sleep 0.5
  done
  echo "node $i did not become ready; its log:" >&2; tail -40 "$dir/node$i.log" >&2; exit 1
}

# The first node creates the schema and the dev merchant; the others join it.
start_node 0; wait_ready 0
for i in $(seq 1 $((nodes - 1))); do start_node "$i"; done
for i in $(seq 1 $((nodes - 1))); do wait_ready "$i"; done
echo "$nodes nodes up: ${urls[*]}" >&2

mkfifo "$dir/control"
all_urls=$(IFS=,; echo "${urls[*]}")
# A rolling restart lasts as long as the nodes take to stop and start: its load runs until this
# script says stop (at least SECS after warm-up), so no restart falls outside the figure.
load_seconds=$seconds
[ "$mode" = rolling ] && load_seconds=0
dotnet run -c Release --no-build "$here/load.cs" -- "$dir/events" "$key" "$load_seconds" "$connections" "$all_urls" \
  <"$dir/control" >"$dir/load.out" 2>&1 &
load_pid=$!
exec 3>"$dir/control"
for _ in $(seq 1 600); do grep -q '^warm' "$dir/load.out" 2>/dev/null && break; sleep 0.2; done
warm_at=$(date +%s)

if [ "$mode" = kill ]; then
  # A third of the run to settle, then the last node dies without warning.
  sleep $((seconds / 3))
  victim=$((nodes - 1))
  echo "down ${urls[victim]}" >&3
  kill -KILL "${pids[victim]}"
  echo "SIGKILL node $victim (pid ${pids[victim]})" >&2
  pids[victim]=""
elif [ "$mode" = rolling ]; then
  # Each node in turn: taken out of the load (as a load balancer drains it), SIGTERM (graceful:
  # Orleans hands its grains over), started again on the same ports, put back once ready.
  sleep 5
  for i in $(seq 0 $((nodes - 1))); do
    echo "down ${urls[i]}" >&3
    sleep 0.5
    kill -TERM "${pids[i]}"
    stopped=$(date +%s.%N)
    while kill -0 "${pids[i]}" 2>/dev/null; do sleep 0.1; done
    echo "node $i stopped gracefully in $(echo "$(date +%s.%N) - $stopped" | bc) s" >&2
    start_node "$i"; wait_ready "$i"
    echo "up ${urls[i]}" >&3
    echo "node $i back" >&2
    sleep 3
  done
  left=$((warm_at + seconds - $(date +%s)))
  [ "$left" -gt 0 ] && sleep "$left"
  echo "stop" >&3
else
  echo "unknown mode $mode (kill or rolling)" >&2; exit 2
fi

wait "$load_pid" || { cat "$dir/load.out" >&2; exit 1; }
load_pid=""
cat "$dir/load.out"
python3 "$here/report.py" "$dir/events" "$mode"
for i in $(seq 0 $((nodes - 1))); do
  n=$(grep -c "answered 503\|failed with" "$dir/node$i.log" || true)
  echo "node $i: $n request failures logged; exception types: $(grep -o 'after a transient [A-Za-z]*\|Exception[^:]*: ' "$dir/node$i.log" | sort | uniq -c | sort -rn | head -5 | tr '\n' ';')"
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
