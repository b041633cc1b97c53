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
