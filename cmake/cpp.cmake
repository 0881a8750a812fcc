# The C++ layer, include/oas.hpp (header-only C++17 over oas.h): its tests
# and examples, registered through oas_add_c_test, so each one runs natively,
# under valgrind (<name>_valgrind) and, with -DOAS_SANITIZE=ON, under
# ASan + UBSan, against the emulator fixtures when it needs a server. All are
# strict C++17 (-std=c++17 -Wall -Wextra -Werror -pedantic) and labelled
# `cpp`; the test program is built twice from one source, with exceptions
# (cpp_test) and with -fno-exceptions (cpp_test_noexc).
#
#   ctest --test-dir build -R cpp --output-on-failure

# oas_add_cpp_test(<name> <source>... [NO_EXCEPTIONS] [oas_add_c_test options])
function(oas_add_cpp_test name)
  cmake_parse_arguments(X "NO_EXCEPTIONS" "" "" ${ARGN})
  oas_add_c_test(${name} ${X_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_include_directories(${name} PRIVATE "${CMAKE_SOURCE_DIR}/tests/cpp")
  if(X_NO_EXCEPTIONS)
    target_compile_options(${name} PRIVATE -fno-exceptions)
  endif()
  # A deadlock fails the test instead of holding the suite (valgrind runs
  # keep oas_add_c_test's longer limit).
  set_tests_properties(${name} PROPERTIES TIMEOUT 120)
  set_property(TEST ${name} APPEND PROPERTY LABELS "cpp")
  if(TEST ${name}_valgrind)
    set_property(TEST ${name}_valgrind APPEND PROPERTY LABELS "cpp")
  endif()
endfunction()

set(_oas_cpp_test_sources tests/cpp/test_cpp.cpp tests/cpp/second_tu.cpp)
oas_add_cpp_test(cpp_test ${_oas_cpp_test_sources} EMULATOR emulator)
oas_add_cpp_test(cpp_test_noexc ${_oas_cpp_test_sources} NO_EXCEPTIONS EMULATOR emulator)
# The additions for real accounts (regions, options, not-found and quota
# errors, stream callbacks, purge) on an emulator of their own with room for
# 4 vaults; its runs take turns (a resource lock), as the quota check counts
# the vaults there.
oas_add_emulator_fixture(emulator_cpp --max-vaults 4)
foreach(_oas_t cpp_test_config cpp_test_config_noexc)
  if(_oas_t STREQUAL "cpp_test_config")
    oas_add_cpp_test(${_oas_t} tests/cpp/test_cpp_config.cpp EMULATOR emulator_cpp)
  else()
    oas_add_cpp_test(${_oas_t} tests/cpp/test_cpp_config.cpp NO_EXCEPTIONS EMULATOR emulator_cpp)
  endif()
  set_tests_properties(${_oas_t} PROPERTIES RESOURCE_LOCK emulator_cpp)
  if(TEST ${_oas_t}_valgrind)
    set_tests_properties(${_oas_t}_valgrind PROPERTIES RESOURCE_LOCK emulator_cpp)
  endif()
endforeach()

# The header alone compiles as strict C++17, with and without exceptions
# (and with OAS_HPP_NO_EXCEPTIONS forcing that mode in a build that has them).
function(_oas_header_cpp17 name)
  add_test(NAME ${name}
    COMMAND "${CMAKE_CXX_COMPILER}" -std=c++17 ${OAS_C_WARNINGS} ${ARGN} -fsyntax-only
            -I "${CMAKE_SOURCE_DIR}/include" "${CMAKE_SOURCE_DIR}/tests/cpp/header_only.cpp")
  set_tests_properties(${name} PROPERTIES LABELS "header;cpp")
endfunction()
_oas_header_cpp17(header_cpp17)
_oas_header_cpp17(header_cpp17_noexc -fno-exceptions)
_oas_header_cpp17(header_cpp17_forced_noexc -DOAS_HPP_NO_EXCEPTIONS)

# Every C++ example is also a test, read like the C ones: one source comment
# line `ctest: <oas_add_c_test options>`.
file(GLOB OAS_CPP_EXAMPLES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/examples-cpp/*.cpp")
foreach(example ${OAS_CPP_EXAMPLES})
  get_filename_component(example_name "${example}" NAME_WE)
  file(STRINGS "${example}" example_opts REGEX "^ *// *ctest: " LIMIT_COUNT 1)
  string(REGEX REPLACE "^ *// *ctest: *" "" example_opts "${example_opts}")
  separate_arguments(example_opts UNIX_COMMAND "${example_opts}")
  oas_add_cpp_test(example_cpp_${example_name} "${example}" ${example_opts})
  target_include_directories(example_cpp_${example_name} PRIVATE "${CMAKE_SOURCE_DIR}/examples-cpp")
endforeach()
