#!/usr/bin/env bash
# LocalStack runs this once it is ready. It checks that every service the
# Magpie stack uses answers, so `make deploy-local` fails early with a clear
# message instead of half-way through a CloudFormation deployment. The stack
# itself (buckets, notifications, queues, tables, state machines, functions)
# is created by `make deploy-local`, never here: one definition, in infra/.
set -euo pipefail
fail=0
check() {
	if ! "$@" >/dev/null 2>&1; then
		echo "magpie init: $1 $2 is not available: $*" >&2
		fail=1
	fi
}
check awslocal s3api list-buckets
check awslocal sqs list-queues
check awslocal sns list-topics
check awslocal events list-event-buses
check awslocal dynamodb list-tables
check awslocal lambda list-functions
check awslocal stepfunctions list-state-machines
check awslocal cloudformation list-stacks
if [ "$fail" -ne 0 ]; then
	echo "magpie init: some services are missing; check SERVICES in docker-compose.yml and the auth token" >&2
	exit 1
fi
echo "magpie init: LocalStack ready for make deploy-local"
