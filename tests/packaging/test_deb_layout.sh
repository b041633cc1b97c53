#!/usr/bin/env bash
# Builds the .deb the way a release does (fresh build dir, prefix /usr,
# `cpack -G DEB`), unpacks it with `dpkg-deb -x` into a throwaway root and
# checks the layout Debian expects, the control data and the maintainer
# scripts. The build dir under WORK_DIR is kept, so reruns are incremental.
#   usage: test_deb_layout.sh SOURCE_DIR WORK_DIR [BUILD_DIR]
# With BUILD_DIR (an already built tree configured with prefix /usr, as
# scripts/build.sh does) it packages that tree instead of building anew.
# Exit 77 (ctest SKIP_RETURN_CODE) without cpack or dpkg-deb.
set -euo pipefail
SRC=$(cd "${1:?usage: test_deb_layout.sh SOURCE_DIR WORK_DIR}" && pwd)
WORK=${2:?usage: test_deb_layout.sh SOURCE_DIR WORK_DIR}
BUILD=${3:-$WORK/build}
ROOT=$WORK/root
JOBS=${PUSHGW_PACKAGING_JOBS:-2}
fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cmake cpack dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
mkdir -p "$WORK"

if [ -z "${3:-}" ]; then
echo "== configure + build ($BUILD)"
# CMAKE_PROJECT_INCLUDE brings in the install rules even before the top-level
# CMakeLists includes cmake/install.cmake (it has an include guard).
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack packages what the step below built
# instead of rebuilding everything a second time.
cmake -S "$SRC" -B "$BUILD" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release \
  -DPUSHGW_TESTS=OFF -DPUSHGW_BENCH=OFF -DPUSHGW_WERROR=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
  -DCMAKE_PROJECT_INCLUDE="$SRC/cmake/install.cmake" >"$WORK/configure.log" 2>&1 ||
  { tail -30 "$WORK/configure.log"; fail "configure failed"; }
cmake --build "$BUILD" -j"$JOBS" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "build failed"; }
fi

echo "== cpack -G DEB"
rm -f "$BUILD"/pushgw_*.deb
(cd "$BUILD" && cpack -G DEB >"$WORK/cpack.log" 2>&1) || { tail -30 "$WORK/cpack.log"; fail "cpack failed"; }
debs=("$BUILD"/pushgw_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one pushgw_*.deb, got: ${debs[*]}"
DEB=${debs[0]}
echo "package: $(basename "$DEB")"

echo "== dpkg-deb -x into $ROOT"
rm -rf "$ROOT"
mkdir -p "$ROOT"
dpkg-deb -x "$DEB" "$ROOT"

for f in usr/bin/pushgwd lib/systemd/system/pushgw.service lib/systemd/system/pushgw.socket \
         etc/pushgw/pushgw.toml lib/sysusers.d/pushgw.conf lib/tmpfiles.d/pushgw.conf \
         usr/share/doc/pushgw/README.md; do
  [ -f "$ROOT/$f" ] || fail "missing /$f"
done
[ -x "$ROOT/usr/bin/pushgwd" ] || fail "/usr/bin/pushgwd is not executable"
cmp -s "$ROOT/lib/systemd/system/pushgw.service" "$SRC/systemd/pushgw.service" || fail "unit differs from systemd/pushgw.service"
cmp -s "$ROOT/etc/pushgw/pushgw.toml" "$SRC/conf/pushgw.toml" || fail "config differs from conf/pushgw.toml"
# Operators' files: man pages (gzip -9n, identical to docs/man), bash
# completion, alerting rules, dashboard, copyright and Debian changelog.
for page in man8/pushgwd.8 man1/pushgwctl.1 man1/pushgw-sim.1 man1/pushgw-bench.1 man5/pushgw.toml.5; do
  gz="$ROOT/usr/share/man/$page.gz"
  [ -f "$gz" ] || fail "missing /usr/share/man/$page.gz"
  zcat "$gz" | cmp -s - "$SRC/docs/man/$(basename "$page")" || fail "$page.gz differs from docs/man"
  [ "$(stat -c %a "$gz")" = 644 ] || fail "$page.gz mode is not 0644"
done
cmp -s "$ROOT/usr/share/bash-completion/completions/pushgwctl" "$SRC/tools/pushgwctl/pushgwctl.bash" ||
  fail "bash completion missing or differs"
cmp -s "$ROOT/usr/share/pushgw/prometheus/pushgw-alerts.yml" "$SRC/conf/prometheus/pushgw-alerts.yml" ||
  fail "alerting rules missing or differ"
cmp -s "$ROOT/usr/share/pushgw/grafana/pushgw-dashboard.json" "$SRC/conf/grafana/pushgw-dashboard.json" ||
  fail "dashboard missing or differs"
cmp -s "$ROOT/usr/share/doc/pushgw/copyright" "$SRC/packaging/copyright" || fail "copyright missing or differs"
changelog_version=$(zcat "$ROOT/usr/share/doc/pushgw/changelog.Debian.gz" | sed -n '1s/^pushgw (\([^)]*\)).*/\1/p')
deb_version=$(dpkg-deb -f "$DEB" Version)
[ "$changelog_version" = "$deb_version" ] ||
  fail "packaging/changelog.Debian's latest entry is $changelog_version, the package is $deb_version"
# Every program the build made is shipped.
for t in pushgwd pushgwctl pushgw-sim pushgw-bench; do
  if [ -x "$BUILD/bin/$t" ]; then [ -x "$ROOT/usr/bin/$t" ] || fail "$t built but not packaged"; fi
done
# Nothing strays outside Debian's places (no /usr/local, no build paths).
stray=$(cd "$ROOT" && find . -mindepth 1 -maxdepth 1 ! -name usr ! -name lib ! -name etc)
[ -z "$stray" ] || fail "unexpected top-level entries: $stray"
[ ! -e "$ROOT/usr/local" ] || fail "files under /usr/local"
# Modes: config world-readable (it holds no secrets), units 0644.
[ "$(stat -c %a "$ROOT/etc/pushgw/pushgw.toml")" = 644 ] || fail "pushgw.toml mode is not 0644"
[ "$(stat -c %a "$ROOT/lib/systemd/system/pushgw.service")" = 644 ] || fail "unit mode is not 0644"
# Owned by root in the archive.
if dpkg-deb -c "$DEB" | awk '{print $2}' | grep -v '^root/root$' >/dev/null; then fail "files not owned by root/root"; fi

echo "== the packaged daemon runs and accepts the packaged config"
"$ROOT/usr/bin/pushgwd" --version | grep -q '^pushgwd ' || fail "pushgwd --version"
"$ROOT/usr/bin/pushgwd" --check-config --config "$ROOT/etc/pushgw/pushgw.toml" >/dev/null ||
  fail "shipped config does not pass --check-config"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$ROOT/lib/systemd/system/pushgw.service")
[ -x "$ROOT$exec_start" ] || fail "ExecStart=$exec_start is not in the package"

echo "== control data (dpkg-deb -I)"
info=$(dpkg-deb -I "$DEB")
printf '%s\n' "$info" | grep -q '^ Package: pushgw$' || fail "Package: pushgw missing"
depends=$(printf '%s\n' "$info" | sed -n 's/^ Depends: //p')
echo "Depends: $depends"
for lib in libnghttp2-14 libuv1 libssl3 libsqlite3-0 libsystemd0 libjemalloc2 libsimdjson14 tzdata; do
  printf '%s\n' "$depends" | grep -Eq "(^|, )$lib( |,|$)" || fail "Depends lacks $lib"
done
for member in postinst prerm postrm conffiles; do
  printf '%s\n' "$info" | grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\*? *$member" || fail "control member $member missing"
done
ctl=$WORK/control
rm -rf "$ctl"
dpkg-deb -e "$DEB" "$ctl"
grep -qxF /etc/pushgw/pushgw.toml "$ctl/conffiles" || fail "pushgw.toml is not a conffile"
for s in postinst prerm postrm; do
  [ -x "$ctl/$s" ] || fail "$s not executable"
  sh -n "$ctl/$s" || fail "$s has a syntax error"
done
grep -q 'systemd-sysusers pushgw.conf' "$ctl/postinst" || fail "postinst does not create the user"

echo "== sysusers/tmpfiles snippets apply to a scratch root"
if command -v systemd-sysusers >/dev/null 2>&1 && command -v systemd-tmpfiles >/dev/null 2>&1; then
  scratch=$WORK/scratch
  rm -rf "$scratch"
  mkdir -p "$scratch/etc"
  systemd-sysusers --root="$scratch" "$ROOT/lib/sysusers.d/pushgw.conf"
  grep -q '^pushgw:' "$scratch/etc/passwd" || fail "sysusers did not create pushgw"
  systemd-tmpfiles --root="$scratch" --create "$ROOT/lib/tmpfiles.d/pushgw.conf"
  [ "$(stat -c %a "$scratch/var/lib/pushgw")" = 700 ] || fail "tmpfiles: /var/lib/pushgw mode"
  [ -d "$scratch/run/pushgw" ] || fail "tmpfiles: /run/pushgw missing"
else
  echo "(systemd-sysusers/systemd-tmpfiles not installed: skipped)"
fi

echo "== dependencies resolve against Debian's archive (apt-get -s)"
if command -v apt-get >/dev/null 2>&1 && [ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ]; then
  # Every dependency exists in the archive (so a fresh Debian 12 can fetch it) ...
  for pkg in $(printf '%s\n' "$depends" | tr ',|' '\n\n' | sed 's/(.*)//; s/ //g' | grep -v '^$'); do
    apt-cache show --no-all-versions "$pkg" >/dev/null 2>&1 || fail "dependency $pkg is not in the apt archive"
  done
  # ... and apt accepts the package here.
  apt-get install -s -qq "$DEB" >"$WORK/apt-sim.log" 2>&1 || { cat "$WORK/apt-sim.log"; fail "apt-get -s cannot install the package"; }
else
  echo "(no apt lists: skipped)"
fi
echo "== lintian (no errors allowed)"
command -v lintian >/dev/null 2>&1 || fail "lintian is not installed (scripts/install-deps.sh installs it)"
# --fail-on error: exit 0 with warnings only, non-zero on an error tag or
# when lintian itself cannot check the package.
if ! lintian --fail-on error --tag-display-limit 0 "$DEB" >"$WORK/lintian.log" 2>&1; then
  cat "$WORK/lintian.log"
  fail "lintian reports errors"
fi
grep -E '^[A-Z]: ' "$WORK/lintian.log" || echo "(no tags)"
echo "ok: $(basename "$DEB") layout, control data and scripts"
