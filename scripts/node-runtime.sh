#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major version (22, 24, ...), installing it first
# when missing. The binary comes from the npm registry's `node` package (its platform package carries
# it), installed into .node-runtimes/<major> of the project (ECSSD_NODE_RUNTIMES names another folder),
# so nothing is downloaded from elsewhere.
# Safe to run several times at once, and after a run killed half-way: an install happens under a lock, in
# a folder beside the target, and is moved into place only once its binary runs; a run that finds another
# installing waits for it and prints the same path.
# Usage: bash scripts/node-runtime.sh 24
set -euo pipefail
major="${1:?usage: node-runtime.sh <major version, e.g. 24>}"
case "$major" in ''|*[!0-9]*) echo "node-runtime: '$major' is not a major version number" >&2; exit 2;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/lock.sh
. "$here/scripts/lib/lock.sh"
runtimes="${ECSSD_NODE_RUNTIMES:-$here/.node-runtimes}"
# An absolute path, so every run prints the same one whatever folder it was started from.
mkdir -p "$runtimes"
runtimes="$(cd "$runtimes" && pwd)"
prefix="$runtimes/$major"
bin="$prefix/node_modules/node/bin/node"

# A usable install is one whose binary runs and is of the major asked for; nothing else counts.
usable() { [ -x "$1" ] && "$1" -v 2>/dev/null | grep -q "^v$major\."; }

if ! usable "$bin"; then
  hold_lock "$runtimes/.$major.lock" "Node.js $major in $runtimes"
  # Another run may have installed it while this one waited.
  if ! usable "$bin"; then
    # Under the lock no other run is installing, so any work folder left here is a killed run's.
    rm -rf "$runtimes/.$major.installing."*
    work="$(mktemp -d "$runtimes/.$major.installing.XXXXXX")"
    on_exit 'rm -rf "$work"'
    chmod 755 "$work"
    echo '{"private":true}' >"$work/package.json"
    # The package's preinstall step links the platform package's binary; it must run. The binary is a hard
    # link, so the folder can be moved whole.
    (cd "$work" && npm install --no-audit --no-fund --loglevel=error --foreground-scripts=false "node@$major" >/dev/null)
    if ! usable "$work/node_modules/node/bin/node"; then
      echo "node-runtime: the npm registry's node@$major did not give a working Node.js $major binary" >&2
      exit 1
    fi
    # What stood in the target's place was not usable (an older layout, or a copy from elsewhere): replace it.
    # The rename is atomic, so a reader sees either no install or a whole one (and the clean-up at exit
    # finds no work folder left to remove).
    rm -rf "$prefix"
    mv "$work" "$prefix"
  fi
fi
"$bin" -v >/dev/null
echo "$bin"
