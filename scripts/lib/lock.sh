# Sourced by the prepare scripts: one lock per shared thing, held by the calling script until it exits.
# `npm start`, `npm test` and `.ci/run` all prepare the machine, the same step may run in several processes
# at once (the stack builds three images in parallel; two clones test side by side), and a run may be killed
# half-way. Each step therefore takes its lock, looks again at what it finds, and builds anything new beside
# its target before moving it into place.

# hold_lock FILE WHAT: waits for the lock FILE (said once on stderr when another run holds it), then keeps it
# until the calling shell exits. Commands started in the background that outlive the script (dockerd) must be
# started with `{ECSSD_LOCK_FD}>&-`, or they would hold the lock after it.
hold_lock() {
  local file="$1" what="$2"
  mkdir -p "$(dirname "$file")"
  exec {ECSSD_LOCK_FD}>>"$file"
  if ! flock -n "$ECSSD_LOCK_FD"; then
    printf '[setup] waiting for another run that is preparing %s\n' "$what" >&2
    flock "$ECSSD_LOCK_FD"
  fi
}

# The folder for locks that guard machine-wide things (the Docker engine, apt, the images): shared by every
# clone on the machine, as those things are.
machine_lock_dir() {
  if [ -w /run/lock ]; then echo /run/lock; else echo "${TMPDIR:-/tmp}"; fi
}
