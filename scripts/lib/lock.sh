# Sourced by the prepare scripts: one lock per shared thing, held by the calling script until it exits.
# `npm start`, `npm test` and `.ci/run` all prepare the machine, the same step may run in several processes
# at once (two clones testing side by side; a stack building its images), and a run may be killed half-way.
# Each step therefore takes its lock, looks again at what it finds, and writes nothing a reader could take
# for whole before it is.

# on_exit CMD: runs CMD when the calling shell exits (in a subshell, when that subshell exits), before what
# was registered earlier. A script's own clean-up and the lock folders it holds share the one EXIT trap this
# keeps: a script setting a trap of its own would drop the release of its locks.
on_exit() {
  # One list per subshell depth: a subshell inherits its parent's variables, not its trap, and must run
  # only what it registered itself.
  local list="ECSSD_ON_EXIT_${BASH_SUBSHELL}"
  eval "$list=\"{ \$1; } || true; \${$list:-}\""
  # shellcheck disable=SC2064 # the list's name is fixed now, its content read at exit
  trap "eval \"\${$list}\"" EXIT
}

# hold_lock FILE WHAT: waits for the lock FILE (said once on stderr when another run holds it), then keeps it
# until the calling shell exits. Commands started in the background that outlive the script must be started
# with start_detached, or they would hold the lock after it.
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

# start_detached LOG COMMAND...: starts COMMAND in the background in a session of its own (a Ctrl-C meant for
# the caller must not reach it), its output to LOG, without the flock descriptor: a command that outlives the
# script (dockerd) would otherwise hold the lock after it.
start_detached() {
  local log="$1"
  shift
  if [ -n "${ECSSD_LOCK_FD:-}" ]; then
    setsid nohup "$@" >"$log" 2>&1 {ECSSD_LOCK_FD}>&- &
  else
    setsid nohup "$@" >"$log" 2>&1 &
  fi
}

# Where flock(1) is missing (macOS): a folder made atomically with mkdir (FILE.d), released when the calling
# shell exits. Its owner is written into it as files: `host` (uname -n), `started` (the process's start time,
# so that another process given the same pid later is not taken for it) and, last and whole, `pid`. A folder
# whose owner is gone from this machine is taken over at once, one whose owner never wrote its pid once it is a
# minute old; one made on another machine is waited for, never taken over.
hold_dir_lock() {
  local dir="$1.d" what="$2" said=0 pid
  until mkdir "$dir" 2>/dev/null; do
    if dir_lock_gone "$dir"; then
      take_over_dir_lock "$dir" && continue
    elif [ $said = 0 ]; then
      printf '[setup] waiting for another run (%s) that is preparing %s\n' "$(dir_lock_owner "$dir")" "$what" >&2
      said=1
    fi
    sleep 1
  done
  pid="${BASHPID:-$$}"
  uname -n >"$dir/host"
  process_started "$pid" >"$dir/started"
  echo "$pid" >"$dir/pid.new" && mv "$dir/pid.new" "$dir/pid"
  on_exit "release_dir_lock $(printf %q "$dir") $pid"
}

# process_started PID: prints when the process PID started (nothing when there is no such process): its start
# in clock ticks after boot from /proc where there is one, else the start time ps gives.
process_started() {
  if [ -r "/proc/$1/stat" ]; then
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    # The command name (field 2) is in parentheses and may hold spaces; field 22 is the 20th after it.
    # shellcheck disable=SC2086 # split on purpose
    set -- ${stat##*) }
    echo "${20:-}"
  elif [ ! -d /proc/self ]; then
    ps -o lstart= -p "$1" 2>/dev/null || true
  fi
}

# dir_lock_owner DIR: the lock's owner as the waiting message names it.
dir_lock_owner() {
  local pid host
  pid="$(cat "$1/pid" 2>/dev/null || true)"
  host="$(cat "$1/host" 2>/dev/null || true)"
  if [ -z "$pid" ]; then echo "owner not written yet"
  elif [ -n "$host" ] && [ "$host" != "$(uname -n)" ]; then echo "pid $pid on $host"
  else echo "pid $pid"; fi
}

# dir_lock_gone DIR: whether the lock's owner is known to be gone: its process is not running on this
# machine, or runs but started at another time (its pid was given to another process), or it never wrote its
# pid (killed right after making the folder) and the folder is over a minute old (its modified time is its
# owner's last write: nothing else writes in it). The owner of a lock made on another machine sharing the folder
# cannot be seen from here, and is waited for.
dir_lock_gone() {
  local pid host started now
  pid="$(cat "$1/pid" 2>/dev/null || true)"
  if [ -z "$pid" ]; then
    [ -n "$(find "$1" -maxdepth 0 -mmin +1 2>/dev/null)" ]
    return
  fi
  host="$(cat "$1/host" 2>/dev/null || true)"
  [ -n "$host" ] && [ "$host" != "$(uname -n)" ] && return 1
  now="$(process_started "$pid")"
  [ -z "$now" ] && return 0
  started="$(cat "$1/started" 2>/dev/null || true)"
  [ -n "$started" ] && [ "$started" != "$now" ]
}

# take_over_dir_lock DIR: removes a gone owner's lock. Several waiters may find the same dead owner; each
# takes the folder DIR.takeover beside the lock first and looks at the owner again under it, so that none
# removes a lock that another has meanwhile taken over and holds. Beside, not inside: a folder made inside
# would change the lock's modified time, the age an owner that never wrote its pid is judged by, and that lock
# would look new at every look. A DIR.takeover left by a waiter killed in those few milliseconds is removed
# once it is a minute old. Fails when the lock is still there (the caller waits and looks again).
take_over_dir_lock() {
  local guard="$1.takeover" gone=1
  if mkdir "$guard" 2>/dev/null; then
    # A lock gone meanwhile is made again by the caller.
    if [ ! -d "$1" ] || dir_lock_gone "$1"; then rm -rf "$1"; gone=0; fi
    rmdir "$guard" 2>/dev/null || true
  elif [ -n "$(find "$guard" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then
    rmdir "$guard" 2>/dev/null || true
  fi
  return $gone
}

# release_dir_lock DIR PID: removes the lock when it is still PID's (never one taken over from it).
release_dir_lock() {
  [ "$(cat "$1/pid" 2>/dev/null || true)" = "$2" ] && rm -rf "$1"
}

# The folder for locks that guard machine-wide things (the Docker engine, apt, the images): shared by every
# clone on the machine, as those things are. ECSSD_MACHINE_LOCK_DIR names another (tests use their own).
machine_lock_dir() {
  if [ -n "${ECSSD_MACHINE_LOCK_DIR:-}" ]; then
    mkdir -p "$ECSSD_MACHINE_LOCK_DIR"
    echo "$ECSSD_MACHINE_LOCK_DIR"
  elif [ -w /run/lock ]; then echo /run/lock; else echo "${TMPDIR:-/tmp}"; fi
}
