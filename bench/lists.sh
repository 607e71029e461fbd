#!/usr/bin/env bash
# The activities list (GET /api/v1/units/{code}/activities) and a CSV export
# of the same rows at national scale, compared between builds in one run:
# for each LABEL=BINARY given (default: new=target/release/antq), a copy of
# the national dataset (target/bench-national/seed1.db, made by
# bench/national.sh), a VN officer's token and the server started (its
# roll-up loaded, its first snapshot saved, so neither runs during the
# requests); then the 2025 sessions of the nation (286.050), of Hà Nội
# (province 01) and of one of its communes, each asked 7 times (the first
# for a warm cache, not counted): median time, answer size, rows listed.
# A build before paging answers every row; one with paging, the first page
# (100 rows) and the total. The CSV export is asked 3 times.
# usage: bench/lists.sh [LABEL=BINARY ...]
#   e.g. build the last main into /tmp/antq-base, then
#   bench/lists.sh base=/tmp/antq-base new=target/release/antq
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- new=./target/release/antq
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/lib.sh
commune=$(sqlite3 "$db_cache" "SELECT code FROM units WHERE era = 'current' AND level = 'commune' \
    AND path LIKE '/VN/01/%' ORDER BY code LIMIT 1")
# Median of runs 2..n of one GET (ms), with the last answer's size and rows.
timed() { # path runs
    local times=() i t0 t1
    for i in $(seq 1 "$2"); do
        t0=$(date +%s%N)
        curl -sf -o "$work/answer" -H "Authorization: Bearer $token" "$url$1"
        t1=$(date +%s%N)
        [ "$i" -gt 1 ] && times+=($(( (t1 - t0) / 1000000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {printf "median %d ms (%d–%d)", a[int((NR + 1) / 2)], a[1], a[NR]}'
    printf ', %s KB' "$(( $(stat -c %s "$work/answer") / 1024 ))"
}
rows() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["activities"]), "rows of", d["total"])' "$work/answer"; }

for pair in "$@"; do
    label=${pair%%=*}
    bin=${pair#*=}
    serve_copy "$bin" 18292
    for unit in VN 01 "$commune"; do
        path="/api/v1/units/$unit/activities?kind=session&year=2025"
        echo "$label list $unit: $(timed "$path" 7), $(rows)"
    done
    for unit in VN "$commune"; do
        path="/api/v1/units/$unit/activities/export?format=csv&kind=session&year=2025"
        echo "$label CSV export $unit: $(timed "$path" 4)"
    done
    stop_server
done
