#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for N
# seconds (default 30) over its committed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPUSHGW_FUZZ=ON >/dev/null
targets=$(for f in tests/fuzz/fuzz_*.cc; do basename "$f" .cc; done)
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$(nproc)" --target $targets
for f in build-fuzz/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  "$f" -max_total_time="$SECS" -print_final_stats=1 "$work" 2>"$work.log" || { tail -50 "$work.log"; exit 1; }
  echo "ok $name: $(grep -E 'stat::number_of_executed_units' "$work.log" | awk '{print $2}') execs in ${SECS}s"
  rm -rf "$work" "$work.log"
done
