#!/usr/bin/env bash
# Load test of the API over loopback: MMS file_info for one product-month in
# a 1,000,000-record catalog (wrk, 1 thread: it shares the 2 cores with the
# server) and the download of a 1 GiB
# file (curl to /dev/null), with the server's peak resident memory.
# Usage: scripts/bench/api-load.sh [DATA_DIR]   (built on first run, ~5 GB:
# a 3.9 GB catalog, the by-product index holding a copy of each record, and
# the 1 GiB file). APILOAD_BIN=path runs that apiload binary instead of
# building bin/apiload (to compare two builds on the same machine).
# Needs wrk (apt-get install wrk) and curl.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data=${1:-${TMPDIR:-/tmp}/magpie-apiload}
cd "$root"
apiload=${APILOAD_BIN:-bin/apiload}
[ -n "${APILOAD_BIN:-}" ] || go build -o bin/apiload ./scripts/bench/apiload
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$apiload" -data "$data" -addr "127.0.0.1:$port" >"$data.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
	kill -0 $pid 2>/dev/null || { cat "$data.log"; exit 1; }
	sleep 1
done
base="http://127.0.0.1:$port"
q="$base/mms/sdc/public/files/api/v1/file_info/science?sc_id=mms2&instrument_id=fgm&data_rate_mode=srvy&data_level=l2&start_date=2020-06-01&end_date=2020-06-30"
echo "answer: $(curl -s "$q" | head -c 200)…"
echo "files in the answer: $(curl -s "$q" | grep -o '"file_name"' | wc -l)"
wrk -t1 -c32 -d5s "$q" >/dev/null # warm up
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; } # server user+system CPU, in ticks
c0=$(cpu)
wrk -t1 -c32 -d20s --latency "$q" | tee "$data.wrk"
c1=$(cpu)
# The server's own CPU time per request tells its cost apart from what the
# load tool and other processes on the machine take.
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server CPU per request: $(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '/requests in/ {printf "%.0f µs", t / hz / $1 * 1e6}' "$data.wrk")"
# RssFile is the mmapped catalog (bbolt) the OS may drop; RssAnon is the heap.
echo "before the downloads: $(grep -E 'RssAnon|RssFile' /proc/$pid/status | tr -s ' \t\n' ' ')"
big="$base/api/v1/files/mms1_fgm_brst_l2_20200601000000_v1.0.0.cdf/download"
for i in 1 2 3; do
	curl -s -o /dev/null -w 'download: %{size_download} bytes in %{time_total} s = %{speed_download} bytes/s\n' "$big"
done
echo "after the downloads:  $(grep -E 'RssAnon|RssFile' /proc/$pid/status | tr -s ' \t\n' ' ')"
