#!/usr/bin/env bash
# Writes with read-back while the roll-up saves its snapshot, compared
# between builds in one run: for each LABEL=BINARY given (default:
# new=target/release/antq), a copy of the national dataset
# (target/bench-national/seed1.db, made by bench/national.sh), a VN
# officer's token, the server started and its first snapshot saved; then
# 64 clients each record outreach sessions in a commune of their own and
# read that commune's total back after each one, for SECONDS (default 90:
# long enough for the 50.000 entries and the minute after which a save in
# the background is due). Prints throughput, p50/p99/max and the saves
# that fell in the run (from the server's log).
# usage: bench/writes.sh [SECONDS] [LABEL=BINARY ...]
set -euo pipefail
cd "$(dirname "$0")/.."
load=./target/release/examples/load
[ -x "$load" ] || { echo "build first: cargo build --release --bin antq --example load" >&2; exit 1; }
secs=90
if [[ ${1:-} =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
[ $# -gt 0 ] || set -- new=./target/release/antq
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/lib.sh
communes=$(sqlite3 "$db_cache" "SELECT code FROM units WHERE era = 'current' AND level = 'commune' ORDER BY code LIMIT 64")
for pair in "$@"; do
    label=${pair%%=*}
    bin=${pair#*=}
    serve_copy "$bin" 18293
    # shellcheck disable=SC2086
    echo "$label writes+read, 64 clients, $secs s: $("$load" write "$url" "$token" 64 "$secs" $communes)"
    echo "$label saves during the run: $(grep -o 'snapshot saved (in the background).*' "$work/log" | tr '\n' ';')"
    echo "$label peak RSS $(rss_mb VmHWM) MB"
    stop_server
done
