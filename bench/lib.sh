# Shared by the scripts that compare builds on the national dataset
# (lists.sh, writes.sh, import.sh); sourced, not run. The caller sets
# `work` (a temporary directory) and `pid=` and traps EXIT to kill "$pid".
db_cache=target/bench-national/seed1.db
[ -f "$db_cache" ] || { echo "no $db_cache: run bench/national.sh once" >&2; exit 1; }

# serve_copy BINARY PORT: a fresh copy of the dataset in $work/n.db, a VN
# officer's token in $token, the server on PORT (pid in $pid, log in
# $work/log, address in $url), returning once its roll-up is loaded and its
# first snapshot saved, so that neither runs during what is measured.
serve_copy() {
    local bin=$1 port=$2
    rm -f "$work"/n.db*
    cp "$db_cache" "$work/n.db"
    db="sqlite:$work/n.db"
    printf 'bench-password-2025\n' | "$bin" --database-url "$db" user create --username bench.vn --role officer \
        --scope VN --password-stdin >/dev/null
    token=$("$bin" --database-url "$db" token create --username bench.vn)
    ANTQ_TIP_KEY=$(head -c 32 /dev/urandom | base64) ANTQ_LOG=antq=info \
        "$bin" --database-url "$db" serve --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
    pid=$!
    url="http://127.0.0.1:$port"
    until curl -sf "$url/healthz" >/dev/null; do sleep 0.05; done
    until grep -q "snapshot saved\|snapshot not saved" "$work/log"; do sleep 0.2; done
}

# stop_server: Ctrl-C, as an operator stops it (it saves its snapshot).
stop_server() {
    kill -INT "$pid"
    wait "$pid" || true
    pid=
}

# rss_mb FIELD: VmRSS (now) or VmHWM (peak) of the server, in MB.
rss_mb() { awk -v f="$1:" '$1 == f {print int($2 / 1024)}' "/proc/$pid/status"; }

# sessions_csv PATH ROWS PLACE...: an import file of ROWS new outreach
# sessions (the export's columns), dated across 2025, the places in turn; a
# place is a commune's code, or CODE:VILLAGE_ID for a session in a village.
sessions_csv() {
    python3 - "$@" <<'PY'
import sys
path, n, places = sys.argv[1], int(sys.argv[2]), [p.split(":") + [""] for p in sys.argv[3:]]
cols = ["ma_hoat_dong", "loai", "ma_don_vi", "ten_don_vi", "ma_thon", "ma_don_vi_cu", "ngay", "ngay_ket_thuc",
        "tu_nam", "den_nam", "nam", "noi_dung", "phan_loai", "cap", "so_luot_nguoi", "so_quyet_dinh",
        "don_vi_tham_gia", "ghi_chu"]
with open(path, "w", encoding="utf-8") as f:
    f.write(",".join(cols) + "\n")
    for i in range(n):
        c, v = places[i % len(places)][:2]
        f.write(f",session,{c},,{v},,{1 + i % 28:02d}/{1 + i % 12:02d}/2025,,,,,Tuyên truyền phòng chống tội phạm,hop_dan,,{20 + i % 100},,,\n")
PY
}
