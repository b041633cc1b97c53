#!/usr/bin/env bash
# The README's test command: installs dependencies, builds with -Werror,
# runs every unit and integration test (ctest), builds the fuzzers with clang
# and smoke-runs each, and runs every benchmark binary with a tiny iteration
# count so none rots.
#   PUSHGW_SANITIZERS=1  also builds and runs the suite under ASan+UBSan and TSan.
#   FUZZ_SECONDS=N       seconds per fuzz target (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

./scripts/install-deps.sh
./scripts/build.sh

echo "== unit + integration tests"
ctest --test-dir build --output-on-failure -j2 --timeout 900

echo "== benchmark smoke"
for b in build/bench/*_bench; do
  [ -x "$b" ] || continue
  "$b" --benchmark_min_time=0.001 >/dev/null
  echo "ok $(basename "$b")"
done

echo "== fuzz smoke (${FUZZ_SECONDS:-30}s per target)"
./scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

if [ "${PUSHGW_SANITIZERS:-0}" = 1 ]; then
  ./scripts/sanitizers.sh
fi
echo "== all tests passed"
