#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io when dockerd is missing and starts dockerd.
# Needs root on Debian. `--best-effort` (used by `npm start`): where the engine cannot be prepared (not root,
# not Debian), exit quietly and leave the explanation to the command that needs the engine.
# Safe to run several times at once (one run installs and starts the engine, the others wait for it) and
# after a run killed half-way (an interrupted package install is finished, a dockerd already starting is
# waited for, not started twice).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/lock.sh
. "$here/scripts/lib/lock.sh"
# shellcheck source=lib/apt.sh
. "$here/scripts/lib/apt.sh"
best_effort=0
[ "${1:-}" = "--best-effort" ] && best_effort=1
log() { printf '[setup] %s\n' "$*" >&2; }
# dockerd's output; ECSSD_DOCKERD_LOG names another file (the tests' stand-in engine writes its own).
log_file="${ECSSD_DOCKERD_LOG:-/var/log/ecssd-dockerd.log}"

docker info >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  [ $best_effort = 1 ] && exit 0
  log "no Docker engine answers, and installing one needs root on Debian"; exit 1
fi
hold_lock "$(machine_lock_dir)/ecssd-docker-engine.lock" "the Docker engine"
docker info >/dev/null 2>&1 && exit 0
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io"
  apt_install_now docker.io
fi
# A dockerd that is running but not answering yet (started by a run that was killed while it waited) is
# given the time to start; a second one would fail on the first one's pid file and socket.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p "$(dirname "$log_file")"
  # In a session of its own: a Ctrl-C meant for `npm start` must not reach the engine it started.
  start_detached "$log_file" dockerd
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
log "dockerd did not start; see $log_file"; tail -20 "$log_file" >&2
exit 1
