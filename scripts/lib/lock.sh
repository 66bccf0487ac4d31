# Sourced by the prepare scripts: one lock per shared thing, held by the calling script until it exits.
# `npm start`, `npm test` and `.ci/run` all prepare the machine, the same step may run in several processes
# at once (two clones testing side by side; a stack building its images), and a run may be killed half-way.
# Each step therefore takes its lock, looks again at what it finds, and writes nothing a reader could take
# for whole before it is.

# hold_lock FILE WHAT: waits for the lock FILE (said once on stderr when another run holds it), then keeps it
# until the calling shell exits. Commands started in the background that outlive the script (dockerd) must be
# started with `{ECSSD_LOCK_FD}>&-`, or they would hold the lock after it.
hold_lock() {
  local file="$1" what="$2"
  mkdir -p "$(dirname "$file")"
  if ! command -v flock >/dev/null 2>&1; then
    hold_dir_lock "$file" "$what"
    return
  fi
  # Made writable by everyone: a lock that root made first (sudo npm test) must not lock a user out. flock
  # needs only a descriptor, so a file someone else made, that this user cannot write, is opened for reading.
  [ -e "$file" ] || (umask 000 && : >>"$file") 2>/dev/null || true
  if [ -w "$file" ]; then exec {ECSSD_LOCK_FD}>>"$file"; else exec {ECSSD_LOCK_FD}<"$file"; fi
  if ! flock -n "$ECSSD_LOCK_FD"; then
    printf '[setup] waiting for another run that is preparing %s\n' "$what" >&2
    flock "$ECSSD_LOCK_FD"
  fi
}

# Where flock(1) is missing (macOS): a folder made atomically with mkdir, holding its owner's pid; one whose
# owner is gone is taken over. Released when the calling shell exits.
hold_dir_lock() {
  local dir="$1.d" what="$2" said=0
  until mkdir "$dir" 2>/dev/null; do
    local owner
    owner="$(cat "$dir/pid" 2>/dev/null || true)"
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$dir"; continue; fi
    [ $said = 0 ] && printf '[setup] waiting for another run that is preparing %s\n' "$what" >&2 && said=1
    sleep 1
  done
  echo $$ >"$dir/pid"
  ECSSD_LOCK_DIRS="${ECSSD_LOCK_DIRS:-} $dir"
  trap 'for d in $ECSSD_LOCK_DIRS; do rm -rf "$d"; done' EXIT
}

# The folder for locks that guard machine-wide things (the Docker engine, apt, the images): shared by every
# clone on the machine, as those things are.
machine_lock_dir() {
  if [ -w /run/lock ]; then echo /run/lock; else echo "${TMPDIR:-/tmp}"; fi
}
