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
db_cache=target/bench-national/seed1.db
[ -f "$db_cache" ] || { echo "no $db_cache: run bench/national.sh once" >&2; exit 1; }
[ -x "$load" ] || { echo "build first: cargo build --release --bin antq --example load" >&2; exit 1; }
secs=90
if [[ ${1:-} =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
[ $# -gt 0 ] || set -- new=./target/release/antq
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
communes=$(sqlite3 "$db_cache" "SELECT code FROM units WHERE era = 'current' AND level = 'commune' ORDER BY code LIMIT 64")
url=http://127.0.0.1:18293
for pair in "$@"; do
    label=${pair%%=*}
    bin=${pair#*=}
    rm -f "$work"/n.db*
    cp "$db_cache" "$work/n.db"
    db="sqlite:$work/n.db"
    printf 'bench-password-2025\n' | "$bin" --database-url "$db" user create --username bench.vn --role officer \
        --scope VN --password-stdin >/dev/null
    token=$("$bin" --database-url "$db" token create --username bench.vn)
    export ANTQ_TIP_KEY=$(head -c 32 /dev/urandom | base64)
    ANTQ_LOG=antq=info "$bin" --database-url "$db" serve --listen 127.0.0.1:18293 >"$work/log" 2>&1 &
    pid=$!
    until curl -sf "$url/healthz" >/dev/null; do sleep 0.05; done
    until grep -q "snapshot saved\|snapshot not saved" "$work/log"; do sleep 0.2; done
    # shellcheck disable=SC2086
    echo "$label writes+read, 64 clients, $secs s: $("$load" write "$url" "$token" 64 "$secs" $communes)"
    echo "$label saves during the run: $(grep -o 'snapshot saved (in the background).*' "$work/log" | tr '\n' ';')"
    echo "$label peak RSS $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MB"
    kill -INT $pid
    wait $pid || true
    pid=
done
