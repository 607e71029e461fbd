#!/usr/bin/env bash
# The CSV import of a million outreach sessions through the API
# (POST /api/v1/activities/import, all or nothing), compared between builds
# in one run: for each LABEL=BINARY given (default: new=target/release/antq),
# a fresh copy of the national dataset and a fresh server (bench/lib.sh);
# the server's peak resident memory is reset just before the import
# (/proc/PID/clear_refs), so the peak printed is the import's own, then
# reset again before the first nation dashboard after it (the roll-up
# applies the million logged rows) for that step's peak.
# With PAGE=1 the file goes through the page's import form instead
# (multipart, signed in; the answer is the form's redirect).
# usage: [VILLAGES=1] [PAGE=1] bench/import.sh [ROWS] [LABEL=BINARY ...]
#   e.g. build the last main into /tmp/antq-base, then
#   bench/import.sh 1000000 base=/tmp/antq-base new=target/release/antq
# The sessions are a commune's own (no village), 64 communes in turn; with
# VILLAGES=1 each is held in a village of its commune (one each).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=1000000
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rows=$1; shift; fi
[ $# -gt 0 ] || set -- new=./target/release/antq
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/lib.sh
if [ "${VILLAGES:-0}" = 1 ]; then
    places="SELECT u.code || ':' || (SELECT MIN(v.id) FROM villages v WHERE v.commune_code = u.code AND v.active = 1)"
else
    places="SELECT u.code"
fi
# shellcheck disable=SC2046
sessions_csv "$work/import.csv" "$rows" $(sqlite3 "$db_cache" \
    "$places FROM units u WHERE u.era = 'current' AND u.level = 'commune' ORDER BY u.code LIMIT 64")
echo "file: $rows rows, $(( $(stat -c %s "$work/import.csv") / 1048576 )) MB"
# page_upload FILE: the file through the page's import form, as a browser
# sends it (multipart, the session's cookie and token); signs in first.
page_upload() {
    local jar="$work/cookies" login_csrf csrf
    rm -f "$jar"
    curl -s -c "$jar" -o /dev/null "$url/login"
    login_csrf=$(awk '$6 == "antq_login_csrf" {print $7}' "$jar")
    curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$login_csrf" \
        --data-urlencode username=bench.vn --data-urlencode password=bench-password-2025 "$url/login"
    csrf=$(curl -s -b "$jar" "$url/account" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
    curl -s -o /dev/null -w 'page form: HTTP %{http_code} %{redirect_url}' -b "$jar" \
        -F "file=@$1;type=text/csv" "$url/units/VN/activities/import?_csrf=$csrf"
}
for pair in "$@"; do
    label=${pair%%=*}
    bin=${pair#*=}
    serve_copy "$bin" 18294
    before=$(rss_mb VmRSS)
    echo 5 >"/proc/$pid/clear_refs"
    t0=$(date +%s%N)
    if [ "${PAGE:-0}" = 1 ]; then
        answer=$(page_upload "$work/import.csv")
    else
        answer=$(curl -s -w ' HTTP %{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
            --data-binary "@$work/import.csv" "$url/api/v1/activities/import")
    fi
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "$label import: $ms ms, $(( rows * 1000 / (ms > 0 ? ms : 1) )) rows/s, ${answer:0:120}"
    echo "$label   RSS before $before MB, peak during the import $(rss_mb VmHWM) MB, after $(rss_mb VmRSS) MB"
    echo "$label   $(grep -o 'activities import: .*' "$work/log" | tail -1)"
    echo 5 >"/proc/$pid/clear_refs"
    t0=$(date +%s%N)
    curl -sf -o /dev/null -H "Authorization: Bearer $token" "$url/api/v1/units/VN/dashboard?period=2025"
    echo "$label   first nation dashboard after it: $(( ($(date +%s%N) - t0) / 1000000 )) ms, peak RSS $(rss_mb VmHWM) MB"
    stop_server
done
