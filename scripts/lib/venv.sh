# Sourced by the prepare scripts: Python virtualenvs of the project's own (moto's server, parliament).
# Needs lib/lock.sh. A virtualenv is built under its own lock and counts as made only once its install
# finished (a marker file written last); one without the marker is a killed run's and is built again.
# pip takes its usual settings from the environment (PIP_INDEX_URL, PIP_NO_INDEX, PIP_FIND_LINKS, ...).

# python_venv FOLDER PROGRAM REQUIREMENT: a virtualenv in FOLDER with REQUIREMENT installed, giving PROGRAM.
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
    printf '[setup] installing %s into %s\n' "$requirement" "$(basename "$venv")" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "$requirement"
    touch "$done_marker"
  )
}
