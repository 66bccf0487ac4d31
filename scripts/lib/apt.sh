# Sourced by the prepare scripts: Debian packages, installed by one run at a time.
# apt and dpkg fail at once, not wait, when another install holds their lock, and a run killed during an
# install leaves dpkg "interrupted" until `dpkg --configure -a` finishes it. Needs lib/lock.sh.

# installed PKG: whether dpkg has the package fully installed (`dpkg -s` also succeeds for one half-installed
# or removed with its configuration kept).
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'; }

# apt_install_now PKG...: installs the packages, under the machine's apt lock, after finishing whatever an
# earlier run left half-done. The caller has checked that it runs as root on Debian.
apt_install_now() {
  (
    hold_lock "$(machine_lock_dir)/ecssd-apt.lock" "Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    dpkg --configure -a >/dev/null 2>&1 || true
    # Another run may have installed some of them while this one waited.
    local missing=()
    for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && exit 0
    apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
  )
}
