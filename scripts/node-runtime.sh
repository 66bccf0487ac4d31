#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major version (22, 24, ...), installing it first
# when missing. The binary comes from the npm registry's `node` package (its platform package carries
# it), installed into .node-runtimes/<major> of the project, so nothing is downloaded from elsewhere.
# Usage: bash scripts/node-runtime.sh 24
set -euo pipefail
major="${1:?usage: node-runtime.sh <major version, e.g. 24>}"
case "$major" in ''|*[!0-9]*) echo "node-runtime: '$major' is not a major version number" >&2; exit 2;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$here/.node-runtimes/$major"
bin="$prefix/node_modules/node/bin/node"
if [ ! -x "$bin" ] || ! "$bin" -v 2>/dev/null | grep -q "^v$major\."; then
  rm -rf "$prefix"
  mkdir -p "$prefix"
  echo '{"private":true}' >"$prefix/package.json"
  # The package's preinstall step links the platform package's binary; it must run.
  (cd "$prefix" && npm install --no-audit --no-fund --loglevel=error --foreground-scripts=false "node@$major" >/dev/null)
fi
"$bin" -v >/dev/null
echo "$bin"
