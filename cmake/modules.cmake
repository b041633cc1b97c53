# Module libraries and their include roots (docs/architecture.md, "Modules").
#
# Every module exposes its headers under its own include root, and only to the
# targets that link it: "<dir>/x.h" (dir = the module's folder below src/)
# resolves for pushgw_<name> and for whoever links pushgw_<name>, and for no
# one else. So an #include of a module that a CMakeLists does not declare is a
# compile error, not a hidden edge. The root is a folder of symbolic links in
# the build tree, one per header of the module's folder (the way Bazel's
# virtual includes work); sub-folders are not linked, so a module nested in
# another's folder (store/sqlite inside store) has a root of its own.
#
# scripts/check-module-graph.py checks the same edges against the table in
# docs/architecture.md and the DEPS written here.

# include/pushgw: the value types and small pure interfaces that cross
# modules (std headers only). Every module reaches it through pushgw_base.
add_library(pushgw_api INTERFACE)
target_include_directories(pushgw_api INTERFACE ${PROJECT_SOURCE_DIR}/include)

# _pushgw_include_root(TARGET SCOPE): <build>/include-roots/TARGET/<dir>/*.h
function(_pushgw_include_root target scope)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(root ${PROJECT_BINARY_DIR}/include-roots/${target})
  # CONFIGURE_DEPENDS: a header added later re-runs cmake and gets its link.
  file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  file(REMOVE_RECURSE ${root})  # drops links of headers moved away
  file(MAKE_DIRECTORY ${root}/${rel})
  foreach(h ${headers})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${h} ${root}/${rel}/${h} SYMBOLIC)
  endforeach()
  target_include_directories(${target} ${scope} ${root})
endfunction()

# pushgw_module(NAME [SOURCES ...] [DEPS ...] [PRIVATE ...])
#   One static library pushgw_NAME (an interface library without SOURCES).
#   DEPS:    what the module's headers need; whoever links it gets them too.
#   PRIVATE: what only its .cc files need.
function(pushgw_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE" ${ARGN})
  if(M_SOURCES)
    add_library(pushgw_${name} STATIC ${M_SOURCES})
    set(scope PUBLIC)
  else()
    add_library(pushgw_${name} INTERFACE)
    set(scope INTERFACE)
    if(M_PRIVATE)
      message(FATAL_ERROR "pushgw_module(${name}): a header-only module has no PRIVATE deps")
    endif()
  endif()
  _pushgw_include_root(pushgw_${name} ${scope})
  target_link_libraries(pushgw_${name} ${scope} ${M_DEPS})
  if(M_PRIVATE)
    target_link_libraries(pushgw_${name} PRIVATE ${M_PRIVATE})
  endif()
endfunction()

# pushgw_unit_test(NAME SOURCES... DEPS ...) : a GoogleTest binary registered with ctest.
function(pushgw_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()
