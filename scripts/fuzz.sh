#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for N
# seconds (default 30) over its committed corpus. Build output goes to
# logs/fuzz-build.log.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
cd "$PUSHGW_ROOT"
SECS=${1:-30}
LOG=$LOG_DIR/fuzz-build.log
: >"$LOG"
targets=$(for f in tests/fuzz/fuzz_*.cc; do basename "$f" .cc; done)
step "  building $(echo "$targets" | wc -l) fuzz targets with clang-14… (log: ${LOG#"$PWD"/})"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
run_logged "$LOG" env CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPUSHGW_FUZZ=ON "${launcher[@]}"
# shellcheck disable=SC2086
run_logged "$LOG" cmake --build build-fuzz -j"${PUSHGW_JOBS:-$(nproc)}" --target $targets
for f in build-fuzz/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  "$f" -max_total_time="$SECS" -print_final_stats=1 "$work" 2>"$work.log" || { tail -50 "$work.log"; exit 1; }
  echo "  ok $name: $(grep -E 'stat::number_of_executed_units' "$work.log" | awk '{print $2}') execs in ${SECS}s"
  rm -rf "$work" "$work.log"
done
