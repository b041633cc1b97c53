# Shared by the scripts: one line per step on the terminal, the noisy output
# of apt-get, cmake and the compilers in log files under logs/.
#   step "installing 23 packages…"      prints the line as it is
#   run_logged LOG cmd args...          runs cmd with stdout+stderr appended to LOG;
#                                       on failure prints the end of LOG and exits
#   elapsed SECONDS                     "7m42s"
# shellcheck shell=bash
PUSHGW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_DIR=${PUSHGW_LOG_DIR:-$PUSHGW_ROOT/logs}
mkdir -p "$LOG_DIR"
SCRIPT_NAME=$(basename "$0" .sh)

step() { printf '%s\n' "$*"; }

elapsed() {
  local s=$1
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

run_logged() {
  local log=$1
  shift
  if ! "$@" >>"$log" 2>&1; then
    echo "$SCRIPT_NAME: FAILED: $*" >&2
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    echo "---- (whole log: $log) ----" >&2
    exit 1
  fi
}
