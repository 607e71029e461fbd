#!/usr/bin/env bash
# Registries on the release build, embedded SQLite, demo data:
#  - import of 50,000 team members (CSV through the API, all or nothing);
#  - export of the same members as XLSX;
#  - unit summary latency for a commune, a province and the nation, sequential
#    requests, beside GET /healthz on the same server as the floor.
# Reports medians and p99 of N requests each.   usage: bench/registry.sh [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
bin=./target/release/antq
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
port=18191
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

def timed(fetch):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fetch(); out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[max(0, int(len(out) * 0.99) - 1)]

villages = json.loads(call(officer, "GET", "/units/03583/villages")[1])["villages"]
body = json.dumps({"kind": "cau_lac_bo", "name": "Câu lạc bộ đo hiệu năng", "established_on": "2020-01-01",
                   "village_ids": [villages[0]["id"]]}).encode()
team = json.loads(call(officer, "POST", "/units/03583/teams", body)[1])["id"]
lines = ["ma_to,ho_ten,chuc_danh,nam_sinh,gioi_tinh,ngay_tham_gia"]
lines += [f"{team},Thành viên {i},to_vien,{1960 + i % 40},{'nam' if i % 2 else 'nu'},01/02/2024" for i in range(50000)]
csv = ("\n".join(lines) + "\n").encode()
t = time.perf_counter(); status, out = call(officer, "POST", "/members/import", csv, "text/csv"); dt = time.perf_counter() - t
print(f"import of 50,000 members (CSV, {len(csv)/1e6:.1f} MB): {dt:.2f} s (HTTP {status}, {json.loads(out)['created']} created)")
t = time.perf_counter(); status, out = call(officer, "GET", "/units/03583/members/export?format=xlsx"); dt = time.perf_counter() - t
print(f"export of the commune's members as XLSX ({len(out)/1e6:.1f} MB): {dt:.2f} s")

floor, floor99 = timed(lambda: urllib.request.urlopen(root + "/healthz").read())
print(f"floor GET /healthz: p50 {floor:.2f} ms, p99 {floor99:.2f} ms ({n} requests)")
for token, code, label in [(officer, "03583", "commune"), (admin, "12", "province"), (admin, "VN", "nation")]:
    p50, p99 = timed(lambda: call(token, "GET", f"/units/{code}/summary?year=2025"))
    print(f"summary of the {label} ({code}): p50 {p50:.2f} ms ({p50 / floor:.1f}× floor), p99 {p99:.2f} ms")
PY
grep VmRSS "/proc/$pid/status" | awk '{print "resident memory after the run: " $2/1024 " MiB"}'
