#!/usr/bin/env bash
# Tip-offs on the release build, embedded SQLite, demo data:
#  - a tip through the public API, without and with a 12-megapixel photo
#    (decoded and re-encoded), each with a fresh form token;
#  - a lookup with code and secret, and one with a wrong secret;
#  - the commune officer's inbox with N tips;
#  - beside GET /healthz on the same server (the floor).
# Reports medians and p99.   usage: bench/tips.sh [tips] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
tips=${1:-300}
n=${2:-100}
bin=./target/release/antq
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
port=18194
ANTQ_TIP_BUDGET=100000 "$bin" --database-url "sqlite:$work/a.db" serve --demo --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
officer=$("$bin" --database-url "sqlite:$work/a.db" token create --username khonglao.ca)
python3 - "$port" "$officer" "$tips" "$n" <<'PY'
import io, json, statistics, struct, sys, time, urllib.request, uuid, zlib
port, officer, tips, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
root = f"http://127.0.0.1:{port}"

def req(method, path, body=None, ctype="application/json", token=None):
    h = {"Content-Type": ctype}
    if token:
        h["Authorization"] = f"Bearer {token}"
    r = urllib.request.Request(root + path, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[max(0, int(len(xs) * 0.99) - 1)]

def png(w, h):
    # An RGB PNG of gradients: decoding costs what its 12 million pixels cost.
    base = bytes(range(256)) * (w * 3 // 256 + 2)
    raw = b"".join(b"\0" + base[y % 256 : y % 256 + w * 3] for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")

def multipart(fields, photo=None):
    b = uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f"--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode())
    if photo:
        out.write(f"--{b}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".encode())
        out.write(photo + b"\r\n")
    out.write(f"--{b}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={b}"

fields = {"category": "ma_tuy", "description": "Đo hiệu năng: có người bán ma túy ở đầu bản.", "province": "12", "commune": "03583", "anonymous": "1"}
tokens = [json.loads(req("GET", "/api/v1/public/tips/form")[1])["token"] for _ in range(tips + 40)]
time.sleep(2.2)  # a form token is good 2 seconds after it is served
photo = png(4000, 3000)
plain, with_photo, receipts = [], [], []
for i in range(tips):
    body, ct = multipart({**fields, "token": tokens[i]})
    t = time.perf_counter(); st, out = req("POST", "/api/v1/public/tips", body, ct); plain.append((time.perf_counter() - t) * 1000)
    assert st == 201, out
    receipts.append(json.loads(out))
for i in range(20):
    body, ct = multipart({**fields, "token": tokens[tips + i]}, photo)
    t = time.perf_counter(); st, out = req("POST", "/api/v1/public/tips", body, ct); with_photo.append((time.perf_counter() - t) * 1000)
    assert st == 201, out[:200]
print(f"{tips} tips sent, and 20 with a 4000 × 3000 photo ({len(photo)/1e6:.2f} MB PNG)")
floor = []
for _ in range(n):
    t = time.perf_counter(); urllib.request.urlopen(root + "/healthz").read(); floor.append((time.perf_counter() - t) * 1000)
rows = [("GET /healthz (floor)", stats(floor)), ("send a tip, no photo", stats(plain)), ("send a tip with the photo", stats(with_photo))]
good = []
wrong = []
for i in range(n):
    r = receipts[i % len(receipts)]
    t = time.perf_counter(); st, _ = req("POST", "/api/v1/public/tips/status", json.dumps({"code": r["tracking_code"], "secret": r["secret"]}).encode()); good.append((time.perf_counter() - t) * 1000)
    assert st == 200
    t = time.perf_counter(); st, _ = req("POST", "/api/v1/public/tips/status", json.dumps({"code": f"{i:04d}-0000-0000", "secret": "sai"}).encode()); wrong.append((time.perf_counter() - t) * 1000)
rows += [("lookup with code and secret", stats(good)), ("lookup with a wrong secret (unknown code)", stats(wrong))]
inbox = []
for _ in range(n):
    t = time.perf_counter(); st, _ = req("GET", "/api/v1/units/03583/tips", token=officer); inbox.append((time.perf_counter() - t) * 1000)
rows.append((f"the commune's inbox, {tips + 23} tips (JSON)", stats(inbox)))
f50 = rows[0][1][0]
for label, (p50, p99) in rows:
    print(f"  {label:<46} p50 {p50:8.2f} ms ({p50 / f50:6.1f}× floor)  p99 {p99:8.2f} ms")
PY
