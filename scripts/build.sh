#!/usr/bin/env bash
# Configures (once) and builds into build/ (Release, prefix /usr, warnings
# as errors), with ccache when it is installed. Compiler output goes to
# logs/build.log; the terminal gets one line per step (and a progress line
# that updates in place when it is a terminal).
#   build.sh            everything: programs, then tests and benchmarks
#   build.sh programs   pushgwd, pushgwctl, pushgw-sim, pushgw-bench only (the demo)
# BUILD_DIR (default build) picks the tree; an existing tree is built as it
# was configured (CMAKE_EXTRA="-D..." configures it again with those flags).
# PUSHGW_JOBS overrides the parallelism (default: the number of cores).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
cd "$PUSHGW_ROOT"
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${PUSHGW_JOBS:-$(nproc)}
WHAT=${1:-all}
PROGRAMS=(pushgwd pushgwctl pushgw-sim pushgw-bench)
LOG=$LOG_DIR/build.log
: >"$LOG"
steps=3
[ "$WHAT" = programs ] && steps=2
start=$SECONDS

configure=()
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || [ -n "${CMAKE_EXTRA:-}" ]; then
  configure=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DPUSHGW_WERROR=ON)
  # ccache only speeds up rebuilds (its cache stays in its default place);
  # nothing depends on it.
  if command -v ccache >/dev/null 2>&1; then
    configure+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # shellcheck disable=SC2206
  configure+=(${CMAKE_EXTRA:-})
fi
if [ ${#configure[@]} -gt 0 ]; then
  step "building (1/$steps): configuring $BUILD_DIR/$(command -v ccache >/dev/null 2>&1 && echo ' with ccache')… (log: ${LOG#"$PWD"/})"
  run_logged "$LOG" cmake -S . -B "$BUILD_DIR" "${configure[@]}"
else
  step "building (1/$steps): $BUILD_DIR/ is configured already (log: ${LOG#"$PWD"/})"
fi

# Runs cmake --build with its output in the log; on a terminal, one line
# that shows make's percentage and the time so far.
compile() {
  local what=$1
  shift
  local t0=$SECONDS
  if [ -t 1 ]; then
    set +e
    cmake --build "$BUILD_DIR" -j"$JOBS" "$@" 2>&1 | tee -a "$LOG" | while IFS= read -r line; do
      if [[ $line =~ ^\[\ *([0-9]+)%\] ]]; then
        printf '\r%s… %3d%% (%s)  ' "$what" "${BASH_REMATCH[1]}" "$(elapsed $((SECONDS - t0)))"
      fi
    done
    local rc=${PIPESTATUS[0]}
    set -e
    printf '\r\033[K'
    if [ "$rc" -ne 0 ]; then
      echo "$SCRIPT_NAME: FAILED: cmake --build $*" >&2
      grep -E 'error|Error' "$LOG" | tail -n 20 >&2 || tail -n 40 "$LOG" >&2
      echo "(whole log: $LOG)" >&2
      exit 1
    fi
  else
    run_logged "$LOG" cmake --build "$BUILD_DIR" -j"$JOBS" "$@"
  fi
}

step "building (2/$steps): the programs (${PROGRAMS[*]})…"
compile "building (2/$steps)" --target "${PROGRAMS[@]}"
if [ "$WHAT" != programs ]; then
  step "building (3/$steps): tests, benchmarks, man pages…"
  compile "building (3/$steps)"
fi
step "built in $(elapsed $((SECONDS - start))): $BUILD_DIR/bin"
