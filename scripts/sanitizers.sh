#!/usr/bin/env bash
# Builds the whole suite under ASan+UBSan (build-asan/) and TSan (build-tsan/)
# and runs every test in each.
set -euo pipefail
cd "$(dirname "$0")/.."
for kind in asan tsan; do
  flag=PUSHGW_ASAN; [ $kind = tsan ] && flag=PUSHGW_TSAN
  cmake -S . -B build-$kind -DCMAKE_BUILD_TYPE=RelWithDebInfo -D$flag=ON -DPUSHGW_BENCH=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr -DPYTHON3=/usr/bin/python3 >/dev/null
  cmake --build build-$kind -j"$(nproc)"
  echo "== tests under $kind"
  ASAN_OPTIONS=detect_leaks=1 TSAN_OPTIONS=halt_on_error=1 \
    ctest --test-dir build-$kind --output-on-failure -j2 --timeout 1800
done
