#!/usr/bin/env bash
# Installs the reference implementation the ASL differential test compares
# Magpie's interpreter with: Node.js 22 (from the npm package "node", which
# ships the binary through the registry) and aws-local-stepfunctions, into
# .tools/sfn of the repository. Idempotent: does nothing when the pinned
# versions are already there. Quiet unless something fails.
set -euo pipefail

NODE_VERSION=22.23.3
ALS_VERSION=3.0.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="${MAGPIE_SFN_TOOLS:-$root/.tools/sfn}"
node_bin="$prefix/node_modules/node/bin/node"
als_pkg="$prefix/node_modules/aws-local-stepfunctions/package.json"

installed_version() { # file -> "version" field, empty when absent
	[ -f "$1" ] && sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n1
}

if [ -x "$node_bin" ] &&
	[ "$("$node_bin" --version 2>/dev/null)" = "v$NODE_VERSION" ] &&
	[ "$(installed_version "$als_pkg")" = "$ALS_VERSION" ]; then
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	echo "sfn-diff install: npm is required (apt-get install npm)" >&2
	exit 1
fi

mkdir -p "$prefix"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# timeout bounds a stalled registry; 5 minutes is ample for ~40 MB.
if ! timeout 300 npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
	"node@$NODE_VERSION" "aws-local-stepfunctions@$ALS_VERSION" >"$log" 2>&1; then
	echo "sfn-diff install: npm install failed:" >&2
	cat "$log" >&2
	exit 1
fi

if [ "$("$node_bin" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
	echo "sfn-diff install: $node_bin is not Node $NODE_VERSION" >&2
	exit 1
fi
