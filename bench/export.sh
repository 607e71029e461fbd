#!/usr/bin/env bash
# A million-row export, compared between builds in one run: for each
# LABEL=BINARY given (default: new=target/release/antq), a copy of the
# national dataset that bench/national.sh generates (run it once first, or
# it must exist at target/bench-national/seed1.db), a VN officer's token,
# the server started and its roll-up loaded from the records (the first
# start of a database: its time is printed); then the nation's sessions of
# 2022–2025 (1.144.154 rows) as XLSX and as CSV, three times each (time,
# size, the server's peak RSS), the CPU time each server thread spent on
# the last XLSX export, and the nation's dashboard beside /healthz with 64
# clients (that the change costs reads nothing).
# usage: bench/export.sh [LABEL=BINARY ...]
#   e.g. build the last main into /tmp/antq-base, then
#   bench/export.sh base=/tmp/antq-base new=target/release/antq
set -euo pipefail
cd "$(dirname "$0")/.."
load=./target/release/examples/load
db_cache=target/bench-national/seed1.db
[ -f "$db_cache" ] || { echo "no $db_cache: run bench/national.sh once" >&2; exit 1; }
[ -x "$load" ] || { echo "build first: cargo build --release --bin antq --example load" >&2; exit 1; }
[ $# -gt 0 ] || set -- new=./target/release/antq
query="kind=session&from=2022-01-01&to=2025-12-31"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
threads() { for t in /proc/$pid/task/*; do echo "$(basename "$t") $(tr ' ' _ <"$t/comm") $(awk '{print $14+$15}' "$t/stat")"; done | sort; }

for pair in "$@"; do
    label=${pair%%=*}
    bin=${pair#*=}
    # A previous build's WAL must not be replayed into the fresh copy.
    rm -f "$work"/n.db*
    cp "$db_cache" "$work/n.db"
    db="sqlite:$work/n.db"
    printf 'bench-password-2025\n' | "$bin" --database-url "$db" user create --username bench.vn --role officer \
        --scope VN --password-stdin >/dev/null
    token=$("$bin" --database-url "$db" token create --username bench.vn)
    export ANTQ_TIP_KEY=$(head -c 32 /dev/urandom | base64)
    url=http://127.0.0.1:18291
    ANTQ_LOG=antq=info "$bin" --database-url "$db" serve --listen 127.0.0.1:18291 >"$work/log" 2>&1 &
    pid=$!
    until curl -sf "$url/healthz" >/dev/null; do sleep 0.05; done
    until grep -q "roll-up ready" "$work/log"; do sleep 0.2; done
    echo "$label first start: $(grep -o 'roll-up ready in [0-9]* ms' "$work/log")"
    # The first start saves the roll-up's snapshot; let it finish first.
    until grep -q "snapshot saved\|snapshot not saved" "$work/log"; do sleep 0.2; done
    for f in xlsx csv; do
        for i in 1 2 3; do
            [ "$f$i" = xlsx3 ] && threads >"$work/before"
            t0=$(date +%s%N)
            code=$(curl -s -o "$work/export.$f" -w '%{http_code}' -H "Authorization: Bearer $token" \
                "$url/api/v1/units/VN/activities/export?format=$f&$query")
            t1=$(date +%s%N)
            [ "$f$i" = xlsx3 ] && threads >"$work/after"
            echo "$label $f run $i: HTTP $code, $(du -m "$work/export.$f" | cut -f1) MB, $(( (t1 - t0) / 1000000 )) ms, server peak RSS $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MB"
        done
    done
    echo "$label threads' CPU during the last XLSX export: $(join "$work/before" "$work/after" | awk '{d = ($5 - $3) / 100; if (d > 0.1) printf "%s %.2f s; ", $2, d}')"
    echo "$label GET /healthz, 64 clients: $("$load" read "$url" /healthz "$token" 64 10)"
    echo "$label nation 2025 dashboard, 64 clients: $("$load" read "$url" '/api/v1/units/VN/dashboard?period=2025' "$token" 64 10)"
    kill $pid
    wait $pid 2>/dev/null || true
    pid=
done
