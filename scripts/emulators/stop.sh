#!/usr/bin/env bash
# Stops the emulators start.sh started (by the PIDs it recorded) and removes
# .tools/emulators.env. Safe to run when nothing is running. Bounded: a
# process that ignores SIGTERM for 10 s gets SIGKILL.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools"

stop_pid_file() {
	local file="$1" pid
	[[ -f "$file" ]] || return 0
	pid="$(cat "$file")"
	if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
}

stop_pid_file "$tools/moto.pid"
stop_pid_file "$tools/dynamodb.pid"
rm -f "$tools/emulators.env"
