#!/usr/bin/env bash
# Runs the ASL interpreter benchmarks (shared/asl: Pass/Choice loop
# transitions per second, 10,000-item inline Map at MaxConcurrency 100) and
# the same definitions on aws-local-stepfunctions in one run, and prints
# both with the ratio. Needs scripts/sfn-diff/install.sh (Node 22 and the
# package under .tools/sfn, or MAGPIE_SFN_TOOLS).
#
# Usage: scripts/bench/asl-vs-sfn.sh [RUNS]   (default 5)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${MAGPIE_SFN_TOOLS:-$root/.tools/sfn}"
node="$tools/node_modules/node/bin/node"
runs="${1:-5}"
[ -x "$node" ] || { echo "asl-vs-sfn: run scripts/sfn-diff/install.sh first" >&2; exit 1; }

cd "$root"
go_out="$(go test -run '^$' -bench 'PassChoiceLoop|InlineMap10k' -benchtime "${runs}x" ./shared/asl)"
node_out="$("$node" scripts/bench/asl-vs-sfn.mjs "$tools/node_modules" shared/asl/testdata/loop.asl.json "$runs")"
echo "$go_out" | grep '^Benchmark'
echo "$node_out"

# Magpie: transitions/s of the loop; ns/op of the Map (one 10,000-item run).
magpie_tps="$(echo "$go_out" | awk '/^BenchmarkPassChoiceLoop/ {for (i = 1; i < NF; i++) if ($(i+1) == "transitions/s") print $i}')"
magpie_map="$(echo "$go_out" | awk '/^BenchmarkInlineMap10k/ {print $3 / 1e9}')"
als_tps="$(echo "$node_out" | sed -n 's/.*"PassChoiceLoop".*"transitions_per_second":\([0-9.]*\).*/\1/p')"
als_map="$(echo "$node_out" | sed -n 's/.*"InlineMap10k".*"seconds_per_run":\([0-9.]*\).*/\1/p')"
awk -v mt="$magpie_tps" -v at="$als_tps" -v mm="$magpie_map" -v am="$als_map" 'BEGIN {
	printf "Pass/Choice loop: magpie %.0f transitions/s, aws-local-stepfunctions %.0f transitions/s: %.0fx\n", mt, at, mt / at
	printf "10,000-item Map:  magpie %.3f s, aws-local-stepfunctions %.3f s: %.0fx\n", mm, am, am / mm
}'
