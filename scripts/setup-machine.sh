#!/usr/bin/env bash
# Installs what the tests and benchmarks need when it is missing, and starts the Docker engine.
# Idempotent and quick when everything is already there. Debian only; needs root for apt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[setup] %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root to install them)"; return 1
  fi
  if [ $apt_updated = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; apt_updated=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# dig, dnsperf and unbound for DNS tests and the zone benchmark; chromium for the portal test.
apt_install dnsutils dnsperf unbound chromium ca-certificates iproute2 procps
# unbound's Debian service is not wanted: the benchmark starts its own instance on loopback.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now unbound >/dev/null 2>&1 || true; fi

# Docker engine.
bash "$here/scripts/docker-engine.sh"

# moto's server, in a virtualenv of the project's own.
venv="$here/.venv-moto"
if [ ! -x "$venv/bin/moto_server" ]; then
  log "installing moto[server] into .venv-moto"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'moto[server]>=5.1,<6'
fi
# parliament, the IAM policy linter the infra tests run, in a virtualenv of its own.
lint_venv="$here/.venv-parliament"
if [ ! -x "$lint_venv/bin/parliament" ]; then
  log "installing parliament into .venv-parliament"
  python3 -m venv "$lint_venv"
  "$lint_venv/bin/pip" install -q 'parliament>=1.6.4,<2'
fi
log "machine ready"
