# Warnings for our own code. CI turns on PUSHGW_WERROR.
set(PUSHGW_WARNINGS -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
    -Wcast-align -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # -Wrestrict: GCC 12 at -O3 reports impossible overlaps inside
  # std::string::assign (GCC bug 105329), so it cannot be an error here.
  list(APPEND PUSHGW_WARNINGS -Wshadow=local -Wno-restrict)
endif()
if(PUSHGW_WERROR)
  list(APPEND PUSHGW_WARNINGS -Werror)
endif()
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${PUSHGW_WARNINGS}>")

if(PUSHGW_ASAN)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(PUSHGW_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(PUSHGW_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# pushgw_module(NAME SOURCES... DEPS ...) : one static library per module.
function(pushgw_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(pushgw_${name} STATIC ${M_SOURCES})
  target_link_libraries(pushgw_${name} PUBLIC ${M_DEPS})
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
