#!/usr/bin/env bash
# A dashboard (the nation's for 2025 unless DASHBOARD names another API
# path, e.g. DASHBOARD='/api/v1/units/01/dashboard?period=2024' for Hà Nội
# on the map of its time; all indicators, JSON) under 64 concurrent
# clients beside GET /healthz on the same server (the floor),
# compared between builds in one run: for each LABEL=BINARY given
# (default: new=target/release/antq), a fresh copy of the national dataset
# and a fresh server (bench/lib.sh), then ROUNDS rounds of floor and
# dashboard, SECONDS each, one after the other, so that the machine's
# noise falls on both alike. Prints each round's throughput, p50 and p99,
# and the dashboard's share of the floor.
# usage: bench/dashboards.sh [SECONDS] [ROUNDS] [LABEL=BINARY ...]
#   e.g. build the last main into /tmp/antq-base, then
#   bench/dashboards.sh 6 3 base=/tmp/antq-base new=target/release/antq
set -euo pipefail
cd "$(dirname "$0")/.."
load=./target/release/examples/load
[ -x "$load" ] || { echo "build first: cargo build --release --bin antq --example load" >&2; exit 1; }
secs=6
rounds=3
if [[ ${1:-} =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
[ $# -gt 0 ] || set -- new=./target/release/antq
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/lib.sh
dashboard=${DASHBOARD:-/api/v1/units/VN/dashboard?period=2025}
echo "dashboard: $dashboard"
# per_second, p50_ms and p99_ms of the load generator's JSON line.
figures() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(round(d["per_second"]), d["p50_ms"], d["p99_ms"], d["errors"])' "$1"; }
for pair in "$@"; do
    label=${pair%%=*}
    bin=${pair#*=}
    serve_copy "$bin" 18295
    # The first answer is built; the rounds measure answering it again.
    curl -sf -o /dev/null -H "Authorization: Bearer $token" "$url$dashboard"
    for round in $(seq 1 "$rounds"); do
        read -r floor fp50 fp99 ferr <<<"$(figures "$("$load" read "$url" /healthz "$token" 64 "$secs")")"
        read -r dash np50 np99 nerr <<<"$(figures "$("$load" read "$url" "$dashboard" "$token" 64 "$secs")")"
        echo "$label round $round: floor $floor req/s (p50 $fp50, p99 $fp99 ms), dashboard $dash req/s" \
            "(p50 $np50, p99 $np99 ms), $(( dash * 100 / floor )) % of the floor; errors $ferr/$nerr"
    done
    stop_server
done
