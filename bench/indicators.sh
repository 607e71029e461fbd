#!/usr/bin/env bash
# Indicators, dashboard and report on the release build, embedded SQLite,
# demo data (Tỉnh Lai Châu's phase 2013–2023: 956 villages, 10.480 sessions,
# 828 organisations; not yet the national scale of issue 8, see
# docs/PERFORMANCE.md):
#  - the JSON dashboard of the province (old map, 8 districts), of the
#    nation (63 old provinces) and of a commune, all 21 indicators;
#  - the dashboard page with the commune map (106 points);
#  - the report as DOCX and XLSX;
#  - a session recorded through the API, then the province total read back;
#  - beside GET /healthz on the same server (the floor), sequentially.
# Reports medians and p99.   usage: bench/indicators.sh [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
bin=./target/release/antq
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
port=18195
"$bin" --database-url "sqlite:$work/a.db" serve --demo --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
province=$("$bin" --database-url "sqlite:$work/a.db" token create --username laichau.ptxd)
nation=$("$bin" --database-url "sqlite:$work/a.db" token create --username v05.bocongan)
officer=$("$bin" --database-url "sqlite:$work/a.db" token create --username khonglao.ca)
python3 - "$port" "$province" "$nation" "$officer" "$n" <<'PY'
import json, statistics, sys, time, urllib.request
port, province, nation, officer, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
root = f"http://127.0.0.1:{port}"

def req(method, path, token=None, body=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    r = urllib.request.Request(root + path, data=body, method=method, headers=h)
    with urllib.request.urlopen(r) as resp:
        return resp.status, resp.read()

def timed(label, f, count):
    xs = []
    for _ in range(count):
        t = time.perf_counter()
        f()
        xs.append((time.perf_counter() - t) * 1000)
    xs.sort()
    return label, statistics.median(xs), xs[max(0, int(len(xs) * 0.99) - 1)]

rows = []
rows.append(timed("GET /healthz (floor)", lambda: req("GET", "/healthz"), n))
floor = rows[0][1]
rows.append(timed("dashboard, province, 2013–2023 (old map)", lambda: req("GET", "/api/v1/units/12/dashboard?period=2013-2023", province), n))
rows.append(timed("dashboard, province, 2025 (today's map, 38 communes)", lambda: req("GET", "/api/v1/units/12/dashboard?period=2025", province), n))
rows.append(timed("dashboard, commune, 2025", lambda: req("GET", "/api/v1/units/03583/dashboard?period=2025", officer), n))
rows.append(timed("dashboard, nation, 2013–2023 (63 old provinces)", lambda: req("GET", "/api/v1/units/VN/dashboard?period=2013-2023", nation), max(3, n // 10)))
rows.append(timed("report DOCX, province, 2013–2023", lambda: req("GET", "/api/v1/units/12/report?period=2013-2023&format=docx", province), n))
rows.append(timed("report XLSX, province, 2013–2023", lambda: req("GET", "/api/v1/units/12/report?period=2013-2023&format=xlsx", province), n))
def write_then_read():
    req("POST", "/api/v1/units/03583/activities", officer, json.dumps({"kind": "session", "held_on": "2026-03-01", "title": "Đo", "subtype": "hop_dan", "attendance": 10}).encode())
    req("GET", "/api/v1/units/12/dashboard?period=2026&codes=so_buoi_tuyen_truyen&map=current", province)
rows.append(timed("a session recorded + the province total read back", write_then_read, n))
print(f"| request | p50 ms | p99 ms | p50 / floor |")
print(f"|---|---:|---:|---:|")
for label, p50, p99 in rows:
    print(f"| {label} | {p50:.2f} | {p99:.2f} | {p50 / floor:.0f}× |".replace(".", ","))
PY
