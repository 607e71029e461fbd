#!/usr/bin/env bash
# Activities on the release build, embedded SQLite, demo data:
#  - import of 100,000 outreach sessions (CSV through the API, all or nothing);
#  - export of them as XLSX;
#  - sessions recorded one by one through the API, each followed by a read
#    of the province's summary that must already count it (read-your-write);
#  - unit summary latency (registries + activities + awards) for a commune,
#    a province and the nation, beside GET /healthz on the same server.
# Reports medians and p99 of N requests each.   usage: bench/activities.sh [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
bin=./target/release/antq
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
port=18192
"$bin" --database-url "sqlite:$work/a.db" serve --demo --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
officer=$("$bin" --database-url "sqlite:$work/a.db" token create --username khonglao.ca)
admin=$("$bin" --database-url "sqlite:$work/a.db" token create --username quantri)
python3 - "$port" "$officer" "$admin" "$n" <<'PY'
import json, statistics, sys, time, urllib.request
port, officer, admin, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
root = f"http://127.0.0.1:{port}"

def call(token, method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(root + "/api/v1" + path, data=body, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        return r.status, r.read()

def timed(fetch, count=n):
    out = []
    for _ in range(count):
        t = time.perf_counter(); fetch(); out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[max(0, int(len(out) * 0.99) - 1)]

rows = 100_000
lines = ["ma_hoat_dong,loai,ma_don_vi,ngay,noi_dung,phan_loai,so_luot_nguoi"]
lines += [f",session,03583,{1 + i % 28:02d}/{1 + i % 12:02d}/2024,Buổi đo hiệu năng {i},hop_dan,{20 + i % 80}" for i in range(rows)]
csv = ("\n".join(lines) + "\n").encode()
t = time.perf_counter(); status, out = call(officer, "POST", "/activities/import", csv, "text/csv"); dt = time.perf_counter() - t
print(f"import of {rows:,} sessions (CSV, {len(csv)/1e6:.1f} MB): {dt:.2f} s = {rows/dt:,.0f} rows/s (HTTP {status}, {json.loads(out)['created']:,} created)")
t = time.perf_counter(); status, out = call(officer, "GET", "/units/03583/activities/export?kind=session&year=2024&format=xlsx"); dt = time.perf_counter() - t
print(f"export of the commune's 2024 sessions as XLSX ({len(out)/1e6:.1f} MB): {dt:.2f} s")

floor, floor99 = timed(lambda: urllib.request.urlopen(root + "/healthz").read())
print(f"floor GET /healthz: p50 {floor:.2f} ms, p99 {floor99:.2f} ms ({n} requests)")
for token, code, label in [(officer, "03583", "commune"), (admin, "12", "province"), (admin, "VN", "nation")]:
    for year in (2025, 2024):
        p50, p99 = timed(lambda: call(token, "GET", f"/units/{code}/summary?year={year}"))
        print(f"summary of the {label} ({code}), {year}: p50 {p50:.2f} ms ({p50 / floor:.1f}× floor), p99 {p99:.2f} ms")

def attendance():
    return json.loads(call(admin, "GET", "/units/12/summary?year=2025")[1])["activities"]["attendance"]
writes = []
total = attendance()
for i in range(n):
    body = json.dumps({"kind": "session", "held_on": "2025-10-01", "title": f"Ghi từng buổi {i}",
                       "subtype": "hop_dan", "attendance": 7}).encode()
    t = time.perf_counter(); call(officer, "POST", "/units/03583/activities", body); writes.append((time.perf_counter() - t) * 1000)
    total += 7
    assert attendance() == total, "a recorded session is missing from the province's total"
writes.sort()
print(f"sessions recorded one by one through the API: p50 {statistics.median(writes):.2f} ms "
      f"({1000 / statistics.median(writes):,.0f}/s sequential), each read back in the province total at once ({n} writes)")
PY
grep VmRSS "/proc/$pid/status" | awk '{print "resident memory after the run: " $2/1024 " MiB"}'
