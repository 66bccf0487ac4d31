#!/usr/bin/env bash
# Installs what the tests and benchmarks need when it is missing, and starts the Docker engine.
# Idempotent and quick when everything is already there. Debian only; needs root for apt.
# Safe to run several times at once and after a run killed half-way: packages are installed under the
# machine's apt lock (lib/apt.sh), and each virtualenv is built under its own lock and counts as made only
# once its install finished (a marker file written last); one without the marker is built again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/lock.sh
. "$here/scripts/lib/lock.sh"
# shellcheck source=lib/apt.sh
. "$here/scripts/lib/apt.sh"

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

# python_venv FOLDER PROGRAM REQUIREMENT: a virtualenv of the project's own with REQUIREMENT installed.
python_venv() {
  local venv="$1" program="$2" requirement="$3"
  local done_marker="$venv/.ecssd-installed"
  [ -f "$done_marker" ] && [ -x "$venv/bin/$program" ] && return 0
  (
    hold_lock "$venv.lock" "$(basename "$venv")"
    [ -f "$done_marker" ] && [ -x "$venv/bin/$program" ] && exit 0
    # One made before the marker existed is kept when pip finds every installed package whole.
    if [ -x "$venv/bin/$program" ] && "$venv/bin/python" -m pip check >/dev/null 2>&1; then
      touch "$done_marker"; exit 0
    fi
    # Without the marker, what is there is a killed run's (or an older layout's): start again.
    log "installing $requirement into $(basename "$venv")"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "$requirement"
    touch "$done_marker"
  )
}
# moto's server, and parliament, the IAM policy linter the infra tests run.
python_venv "$here/.venv-moto" moto_server 'moto[server]>=5.1,<6'
python_venv "$here/.venv-parliament" parliament 'parliament>=1.6.4,<2'
log "machine ready"
