# Install layout and the Debian package (cpack -G DEB).
#
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release
#   cmake --build build -j2 && (cd build && cpack -G DEB)
#
# With prefix /usr the layout is Debian 12's: programs in /usr/bin, the units
# in /lib/systemd/system, sysusers.d/tmpfiles.d snippets in /lib, the config
# in /etc/pushgw. Any other prefix (e.g. /usr/local, a developer's staging
# dir) keeps everything under the prefix, so `cmake --install` never writes
# to /lib or /etc unasked.
#
# Include this file from the top-level CMakeLists.txt after project(); the
# program targets may be defined later (the binaries are installed from a
# deferred call at the end of the top-level directory).
include_guard(GLOBAL)
include(GNUInstallDirs)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_pushgw_root_lib "/lib")  # Debian 12: units live in /lib/systemd/system
else()
  set(_pushgw_root_lib "${CMAKE_INSTALL_LIBDIR}")
endif()
set(PUSHGW_SYSTEMD_UNIT_DIR "${_pushgw_root_lib}/systemd/system" CACHE STRING "where pushgw.service/.socket go")
set(PUSHGW_SYSUSERS_DIR "${_pushgw_root_lib}/sysusers.d" CACHE STRING "where the sysusers.d snippet goes")
set(PUSHGW_TMPFILES_DIR "${_pushgw_root_lib}/tmpfiles.d" CACHE STRING "where the tmpfiles.d snippet goes")
# GNUInstallDirs maps sysconfdir to /etc for prefix /usr, to <prefix>/etc otherwise.
set(PUSHGW_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/pushgw")

install(FILES ${CMAKE_SOURCE_DIR}/systemd/pushgw.service ${CMAKE_SOURCE_DIR}/systemd/pushgw.socket
        DESTINATION ${PUSHGW_SYSTEMD_UNIT_DIR} COMPONENT pushgw)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/pushgw.sysusers DESTINATION ${PUSHGW_SYSUSERS_DIR}
        RENAME pushgw.conf COMPONENT pushgw)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/pushgw.tmpfiles DESTINATION ${PUSHGW_TMPFILES_DIR}
        RENAME pushgw.conf COMPONENT pushgw)
# The reference config: every key with its default, apps commented out. A
# Debian conffile, so local edits survive upgrades.
install(FILES ${CMAKE_SOURCE_DIR}/conf/pushgw.toml DESTINATION ${PUSHGW_CONFIG_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT pushgw)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/packaging/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT pushgw)

# Man pages (docs/man, hand-written roff) and the Debian changelog, gzipped
# the way Debian wants them: -9, no name, no timestamp (reproducible).
find_program(PUSHGW_GZIP gzip REQUIRED)
set(_pushgw_gz_dir ${CMAKE_BINARY_DIR}/man)
set(_pushgw_gz_files)
function(_pushgw_gzip src out)
  add_custom_command(OUTPUT ${out}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${_pushgw_gz_dir}
                     COMMAND sh -c "\"$0\" -9nc \"$1\" > \"$2\"" ${PUSHGW_GZIP} ${src} ${out}
                     DEPENDS ${src} VERBATIM)
endfunction()
foreach(page pushgwd.8 pushgwctl.1 pushgw-sim.1 pushgw-bench.1 pushgw.toml.5)
  string(REGEX REPLACE ".*[.]([0-9])$" "\\1" _section ${page})
  _pushgw_gzip(${CMAKE_SOURCE_DIR}/docs/man/${page} ${_pushgw_gz_dir}/${page}.gz)
  install(FILES ${_pushgw_gz_dir}/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section} COMPONENT pushgw)
  list(APPEND _pushgw_gz_files ${_pushgw_gz_dir}/${page}.gz)
endforeach()
_pushgw_gzip(${CMAKE_SOURCE_DIR}/packaging/changelog.Debian ${_pushgw_gz_dir}/changelog.Debian.gz)
install(FILES ${_pushgw_gz_dir}/changelog.Debian.gz DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT pushgw)
add_custom_target(pushgw_docs ALL DEPENDS ${_pushgw_gz_files} ${_pushgw_gz_dir}/changelog.Debian.gz)

# For operators: bash completion, Prometheus alerting rules, Grafana dashboard.
install(FILES ${CMAKE_SOURCE_DIR}/tools/pushgwctl/pushgwctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME pushgwctl COMPONENT pushgw)
install(FILES ${CMAKE_SOURCE_DIR}/conf/prometheus/pushgw-alerts.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pushgw/prometheus COMPONENT pushgw)
install(FILES ${CMAKE_SOURCE_DIR}/conf/grafana/pushgw-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pushgw/grafana COMPONENT pushgw)

# Programs: whichever of them this tree defines (tools come and go).
function(pushgw_install_programs)
  foreach(t pushgwd pushgwctl pushgw-sim pushgw-bench)
    if(TARGET ${t})
      install(TARGETS ${t} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT pushgw)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL pushgw_install_programs)

# ---- Debian package --------------------------------------------------------
# Maintainer scripts (Debian policy: idempotent, `set -e`, exit 0).
set(_pushgw_deb ${CMAKE_BINARY_DIR}/debian)
file(CONFIGURE OUTPUT ${_pushgw_deb}/postinst @ONLY CONTENT [=[#!/bin/sh
# Creates the pushgw user and directories. The service is not enabled or
# started: it needs credentials in /etc/pushgw/pushgw.toml first.
set -e
if [ "$1" = "configure" ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers pushgw.conf
  elif ! getent passwd pushgw >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/pushgw --no-create-home \
      --shell /usr/sbin/nologin --comment "pushgw push notification gateway" pushgw
  fi
  if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create pushgw.conf || true
  else
    install -d -o pushgw -g pushgw -m 0700 /var/lib/pushgw
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    # An upgrade restarts a running gateway (it drains on SIGTERM first).
    if [ -n "$2" ]; then
      systemctl try-restart pushgw.service || true
    fi
  fi
fi
exit 0
]=])
file(CONFIGURE OUTPUT ${_pushgw_deb}/prerm @ONLY CONTENT [=[#!/bin/sh
set -e
if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
  systemctl stop pushgw.socket pushgw.service || true
  systemctl disable pushgw.socket pushgw.service >/dev/null 2>&1 || true
fi
exit 0
]=])
file(CONFIGURE OUTPUT ${_pushgw_deb}/postrm @ONLY CONTENT [=[#!/bin/sh
# purge also removes the token store and feedback history; the user stays
# (Debian keeps system users so file ownership never gets reused).
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
if [ "$1" = "purge" ]; then
  rm -rf /var/lib/pushgw /run/pushgw
fi
exit 0
]=])
file(CHMOD ${_pushgw_deb}/postinst ${_pushgw_deb}/prerm ${_pushgw_deb}/postrm
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(WRITE ${_pushgw_deb}/conffiles "${PUSHGW_CONFIG_DIR}/pushgw.toml\n")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "pushgw")
set(CPACK_PACKAGE_VENDOR "pushgw")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "pushgw maintainers <pushgw@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "push notification gateway for APNs, FCM and Web Push")
set(CPACK_PACKAGE_DESCRIPTION
    "pushgwd accepts notification batches as newline-delimited JSON on a Unix\n"
    "socket and delivers them to the Apple Push Notification service, Firebase\n"
    "Cloud Messaging and Web Push services over pooled HTTP/2 connections, with\n"
    "retries, invalid-token feedback, Prometheus metrics and systemd integration.\n"
    "Includes pushgwctl (client), pushgw-sim (provider simulator) and\n"
    "pushgw-bench (load driver).")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# Absolute destinations (/etc, /lib) must land in the staging root, not on the build host.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
# dpkg-shlibdeps derives Depends from what the binaries really link
# (libnghttp2-14, libuv1, libssl3, libsimdjson14, libjemalloc2, libsqlite3-0,
# libsystemd0, ...); the fallback list is used where it is not available.
find_program(PUSHGW_DPKG_SHLIBDEPS dpkg-shlibdeps)
# tzdata is data, not a library: quiet hours read its zone files.
if(PUSHGW_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libnghttp2-14, libuv1, libssl3, libsimdjson14, libjemalloc2, libtomlplusplus3, libsqlite3-0, libpq5, libhiredis0.14, libsystemd0, libstdc++6, libc6, tzdata")
endif()
# systemd-sysusers creates the user; passwd's useradd is the fallback in postinst.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_pushgw_deb}/postinst;${_pushgw_deb}/prerm;${_pushgw_deb}/postrm;${_pushgw_deb}/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
