#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io when dockerd is missing and starts dockerd.
# Needs root on Debian. `--best-effort` (used by `npm start`): where the engine cannot be prepared (not root,
# not Debian), exit quietly and leave the explanation to the command that needs the engine.
set -euo pipefail
best_effort=0
[ "${1:-}" = "--best-effort" ] && best_effort=1
log() { printf '[setup] %s\n' "$*" >&2; }

docker info >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  [ $best_effort = 1 ] && exit 0
  log "no Docker engine answers, and installing one needs root on Debian"; exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
log "starting dockerd"
mkdir -p /var/log
nohup dockerd >/var/log/ecssd-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
log "dockerd did not start; see /var/log/ecssd-dockerd.log"; tail -20 /var/log/ecssd-dockerd.log >&2
exit 1
