#!/usr/bin/env bash
# Ingest of many small files through a running `magpie serve`: wall time from
# the moment the files appear in the dropbox until the last is indexed, and
# the server's peak resident memory (VmHWM).
# Usage: scripts/bench/serve-memory.sh [FILES]   (default 10000)
set -euo pipefail
n=${1:-10000}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
go build -o bin/magpie ./cmd/magpie
work="$(mktemp -d "${TMPDIR:-/tmp}/magpie-bench.XXXXXX")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bin/magpie serve --data "$work/sdc" --addr "127.0.0.1:$port" --sweep-every 0 >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "writing $n files"
python3 - "$work/stage" "$n" <<'PY'
import os, sys, datetime
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
body = b"\xcd\xf3\x00\x01\x00\x00\xff\xff" + os.urandom(2040)
d0 = datetime.date(2015, 9, 1)
for i in range(n):
    day = d0 + datetime.timedelta(days=i // 4)
    with open(os.path.join(out, f"mms{i % 4 + 1}_fgm_srvy_l2_{day:%Y%m%d}_v4.18.0.cdf"), "wb") as f:
        f.write(body)
PY
start=$(date +%s.%N)
# One rename of the folder: every file appears at once, as after a big delivery.
mv "$work/stage" "$work/sdc/dropbox/delivery"
while [ -n "$(find "$work/sdc/dropbox/delivery" -type f -print -quit 2>/dev/null)" ]; do sleep 0.05; done
end=$(date +%s.%N)
t=$(echo "$end - $start" | bc)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
printf '%d files in %.2f s: %.0f files/s; peak RSS %.1f MB\n' "$n" "$t" "$(echo "$n / $t" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
