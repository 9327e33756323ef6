#!/usr/bin/env bash
# Ingest throughput on large files, compared with sha256sum on the same files.
# Usage: scripts/bench/ingest-large.sh [TOTAL_MB] [FILES]   (default 2048 MB in 8 files)
# Writes the files under a temporary folder, hashes them with sha256sum (warm
# cache, best of two), moves them into a fresh SDC's dropbox and runs
# `magpie sweep`, which reads, hashes, archives (fsync) and catalogs them.
set -euo pipefail
total_mb=${1:-2048}
files=${2:-8}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
go build -o bin/magpie ./cmd/magpie
work="$(mktemp -d "${TMPDIR:-/tmp}/magpie-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/sdc/dropbox"
per=$((total_mb / files))
echo "writing $files files of $per MB"
for i in $(seq 1 "$files"); do
	day=$(date -u -d "2015-10-01 +$i day" +%Y%m%d)
	f="$work/in/mms1_fgm_srvy_l2_${day}_v4.18.0.cdf"
	{ printf '\xcd\xf3\x00\x01\x00\x00\xff\xff'; head -c $((per * 1024 * 1024 - 8)) /dev/urandom; } >"$f"
done
best=""
for _ in 1 2; do
	s=$(date +%s.%N); sha256sum "$work"/in/* >/dev/null; e=$(date +%s.%N)
	t=$(echo "$e - $s" | bc)
	if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
mv "$work"/in/* "$work/sdc/dropbox/"
s=$(date +%s.%N); bin/magpie sweep --data "$work/sdc" >/dev/null 2>&1; e=$(date +%s.%N)
ingest=$(echo "$e - $s" | bc)
printf 'sha256sum: %.2f s (%.0f MB/s)\n' "$best" "$(echo "$total_mb / $best" | bc -l)"
printf 'magpie sweep: %.2f s (%.0f MB/s)\n' "$ingest" "$(echo "$total_mb / $ingest" | bc -l)"
printf 'ratio: %.0f %% of sha256sum throughput\n' "$(echo "100 * $best / $ingest" | bc -l)"
