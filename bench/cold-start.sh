#!/usr/bin/env bash
# Cold start of the release build: time from process start to the first
# served request, on the embedded SQLite file. The first start loads the
# reference geography (34 + 3,321 current units, 10,794 pre-2025 units and
# the crosswalk); later starts only open the database. Reports the median of
# N runs of each, and the trivial `antq --version` as a floor in the same run.
#   usage: bench/cold-start.sh [runs]   (build first: cargo build --release)
set -euo pipefail
# serve outside the demo needs the tip identity key.
export ANTQ_TIP_KEY="${ANTQ_TIP_KEY:-$(head -c 32 /dev/urandom | base64)}"
cd "$(dirname "$0")/.."
runs=${1:-7}
bin=./target/release/antq
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18190

ms_now() { date +%s%N | awk '{print int($1/1000000)}'; }

# Starts the server, polls /healthz every 5 ms, prints ms to first 200.
first_request() {
  local db=$1
  local t0; t0=$(date +%s%N)
  "$bin" --database-url "sqlite:$db" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.005; done
  local t1; t1=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $(( (t1 - t0) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

floor=(); first=(); warm=()
for i in $(seq 1 "$runs"); do
  t0=$(date +%s%N); "$bin" --version >/dev/null; t1=$(date +%s%N)
  floor+=($(( (t1 - t0) / 1000000 )))
  db="$work/run$i.db"
  first+=("$(first_request "$db")")
  warm+=("$(first_request "$db")")
done
printf 'runs: %s\n' "$runs"
printf 'floor (antq --version):                     median %s ms\n' "$(printf '%s\n' "${floor[@]}" | median)"
printf 'first start (empty db, loads reference data): median %s ms  [%s]\n' "$(printf '%s\n' "${first[@]}" | median)" "${first[*]}"
printf 'later start (to first served request):        median %s ms  [%s]\n' "$(printf '%s\n' "${warm[@]}" | median)" "${warm[*]}"
printf 'resident memory after start: '
"$bin" --database-url "sqlite:$work/run1.db" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.005; done
curl -sf "http://127.0.0.1:$port/login" >/dev/null
grep VmRSS "/proc/$pid/status" | awk '{print $2/1024 " MiB"}'
kill "$pid"; wait "$pid" 2>/dev/null || true
