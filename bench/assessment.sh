#!/usr/bin/env bash
# The November assessment on the release build, embedded SQLite, demo data
# plus N extra villages in Xã Khổng Lào, each taken through the workflow:
#  - each step through the API (create, judge, submit, approve);
#  - an open assessment's page (computed criteria computed afresh), a decided
#    one's (frozen), the commune's draft whose criterion 4 counts all its
#    villages, the reviewer's list, the unit summary, the certificate PDF;
#  - all beside GET /healthz on the same server (the floor).
# Reports medians and p99 of R requests each.   usage: bench/assessment.sh [villages] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
villages=${1:-300}
n=${2:-200}
bin=./target/release/antq
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
port=18193
"$bin" --database-url "sqlite:$work/a.db" serve --demo --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
officer=$("$bin" --database-url "sqlite:$work/a.db" token create --username khonglao.ca)
reviewer=$("$bin" --database-url "sqlite:$work/a.db" token create --username khonglao.ubnd)
python3 - "$port" "$officer" "$reviewer" "$villages" "$n" <<'PY'
import json, statistics, sys, time, urllib.request, urllib.error
port, officer, reviewer, villages, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
root = f"http://127.0.0.1:{port}"

def call(token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(root + "/api/v1" + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status, r.read()

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[max(0, int(len(xs) * 0.99) - 1)]

def timed(fetch, count=n):
    out = []
    for _ in range(count):
        t = time.perf_counter(); fetch(); out.append((time.perf_counter() - t) * 1000)
    return stats(out)

year = time.localtime().tm_year
ids = []
for i in range(villages):
    _, out = call(officer, "POST", "/units/03583/villages",
                  {"name": f"Bản đo hiệu năng {i}", "kind": "Bản", "households": 50})
    ids.append(json.loads(out)["id"])
steps = {k: [] for k in ["create", "judge", "submit", "approve"]}
items = {"items": [{"code": c, "verdict": "dat", "note": "Biên bản họp."} for c in ["2", "3", "4"]]}
last = None
for k, vid in enumerate(ids):
    t = time.perf_counter()
    _, out = call(officer, "POST", "/assessments", {"subject_kind": "village", "subject_id": str(vid), "year": year})
    steps["create"].append((time.perf_counter() - t) * 1000)
    aid = json.loads(out)["id"]
    for step, tok, method, path, body in [
        ("judge", officer, "PUT", f"/assessments/{aid}/items", items),
        ("submit", officer, "POST", f"/assessments/{aid}/submit", None),
        ("approve", reviewer, "POST", f"/assessments/{aid}/approve", {}),
    ]:
        t = time.perf_counter(); call(tok, method, path, body); steps[step].append((time.perf_counter() - t) * 1000)
    last = aid
print(f"{villages} villages taken through the workflow (result chưa đạt: none registered for {year} nor with a team, so not recognised)")
for step in ["create", "judge", "submit", "approve"]:
    p50, p99 = stats(steps[step])
    print(f"  {step:<9} p50 {p50:.2f} ms  p99 {p99:.2f} ms")
# One open assessment (criteria computed afresh on every read) and the commune's.
_, out = call(officer, "POST", "/assessments", {"subject_kind": "village", "subject_id": str(ids[0]), "year": year + 1})
open_id = json.loads(out)["id"]
_, out = call(officer, "POST", "/assessments", {"subject_kind": "commune", "subject_id": "03583", "year": year})
commune_id = json.loads(out)["id"]
decided = json.loads(call(officer, "GET", "/units/03583/assessments?year=2025")[1])["assessments"]
cert = next(a["id"] for a in decided if a["status"] == "recognised")

floor = timed(lambda: urllib.request.urlopen(root + "/healthz").read())
rows = [("GET /healthz (floor)", floor)]
for label, path in [
    ("open village assessment (5 criteria, 3 computed)", f"/assessments/{open_id}"),
    ("decided village assessment (frozen)", f"/assessments/{last}"),
    (f"commune draft, criterion 4 over {villages + 5} villages and organisations", f"/assessments/{commune_id}"),
    (f"reviewer's list of the commune, {villages + 6} assessments", f"/units/03583/assessments?year={year}"),
    (f"unit summary of the commune, {year} (all figures)", f"/units/03583/summary?year={year}"),
    ("unit summary of the commune, 2025 (the demo's cycle)", "/units/03583/summary?year=2025"),
    ("unit summary of the province 12, 2025", "/units/12/summary?year=2025"),
    ("certificate PDF", f"/assessments/{cert}/certificate.pdf"),
]:
    rows.append((label, timed(lambda p=path: call(officer, "GET", p))))
for label, (p50, p99) in rows:
    print(f"  {label:<62} p50 {p50:7.2f} ms ({p50 / floor[0]:5.1f}× floor)  p99 {p99:7.2f} ms")
PY
