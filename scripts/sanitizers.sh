#!/usr/bin/env bash
# Builds the whole suite under ASan+UBSan (build-asan/) and TSan (build-tsan/)
# and runs every test in each. A failure under ASan does not keep the TSan run
# from happening: the script fails at the end, naming the sanitizers that did.
set -euo pipefail
cd "$(dirname "$0")/.."
failed=()
for kind in asan tsan; do
  flag=PUSHGW_ASAN; [ $kind = tsan ] && flag=PUSHGW_TSAN
  cmake -S . -B build-$kind -DCMAKE_BUILD_TYPE=RelWithDebInfo -D$flag=ON -DPUSHGW_BENCH=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr -DPYTHON3=/usr/bin/python3 >/dev/null
  cmake --build build-$kind -j"$(nproc)"
  echo "== tests under $kind"
  # UBSan stops at its first report (-fno-sanitize-recover); the stack says where.
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1 \
    ctest --test-dir build-$kind --output-on-failure -j2 --timeout 1800; then
    failed+=("$kind")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== tests failed under: ${failed[*]}" >&2
  exit 1
fi
