#!/usr/bin/env bash
# The README's test command: installs dependencies, checks the module graph
# against docs/architecture.md, builds with -Werror, runs every unit,
# integration and packaging test (ctest), runs every benchmark binary with a
# tiny iteration count so none rots, and builds the fuzzers with clang and
# smoke-runs each. Run it as root or as a user who may use sudo
# (install-deps.sh calls sudo itself when it has to install).
#   PUSHGW_SANITIZERS=1  also builds and runs the suite under ASan+UBSan and TSan.
#   FUZZ_SECONDS=N       seconds per fuzz target (default 30).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
cd "$PUSHGW_ROOT"
START=$SECONDS
BUILD_DIR=${BUILD_DIR:-build}

./scripts/install-deps.sh
step "checking the module graph against docs/architecture.md…"
python3 scripts/check-module-graph.py
BUILD_DIR=$BUILD_DIR ./scripts/build.sh

step "testing (1/3): unit, integration and packaging tests (ctest)…"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 900

step "testing (2/3): benchmark smoke…"
n=0
for b in "$BUILD_DIR"/bench/*_bench; do
  [ -x "$b" ] || continue
  run_logged "$LOG_DIR/bench-smoke.log" "$b" --benchmark_min_time=0.001
  n=$((n + 1))
done
step "  $n benchmark binaries ran"

step "testing (3/3): fuzz smoke (${FUZZ_SECONDS:-30}s per target)…"
./scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

if [ "${PUSHGW_SANITIZERS:-0}" = 1 ]; then
  ./scripts/sanitizers.sh
fi
step "all tests passed in $(elapsed $((SECONDS - START)))"
