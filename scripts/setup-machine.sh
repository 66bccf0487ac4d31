#!/usr/bin/env bash
# Installs what the tests and benchmarks need when it is missing, and starts the Docker engine.
# Idempotent and quick when everything is already there. Debian only; needs root for apt.
# Safe to run several times at once and after a run killed half-way: packages are installed under the
# machine's apt lock (lib/apt.sh), and each virtualenv is built under its own lock and counts as made only
# once its install finished (lib/venv.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/lock.sh
. "$here/scripts/lib/lock.sh"
# shellcheck source=lib/apt.sh
. "$here/scripts/lib/apt.sh"
# shellcheck source=lib/venv.sh
. "$here/scripts/lib/venv.sh"

log() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root to install them)"; return 1
  fi
  log "installing ${missing[*]}"
  apt_install_now "${missing[@]}"
}

# dig, dnsperf and unbound for DNS tests and the zone benchmark; chromium for the portal test.
apt_install dnsutils dnsperf unbound chromium ca-certificates iproute2 procps util-linux
# unbound's Debian service is not wanted: the benchmark starts its own instance on loopback.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now unbound >/dev/null 2>&1 || true; fi

# Docker engine.
bash "$here/scripts/docker-engine.sh"

# moto's server, and parliament, the IAM policy linter the infra tests run.
python_venv "$here/.venv-moto" moto_server 'moto[server]>=5.1,<6'
python_venv "$here/.venv-parliament" parliament 'parliament>=1.6.4,<2'
log "machine ready"
