# The AddressSanitizer build of the C suite (-DOAS_SANITIZE=ON): every C test
# and example is compiled and linked with ASan + UBSan, and runs with
# LeakSanitizer on. The Rust library is not rebuilt: it uses the system
# allocator, so ASan, linked first into each program, intercepts its malloc
# and free too (its leaks and invalid frees are found; its own out-of-bounds
# accesses are not instrumented). Valgrind variants are not registered in this
# mode, since valgrind cannot run sanitized programs.
#
#   cmake -S . -B build-asan -DOAS_SANITIZE=ON && cmake --build build-asan
#   ctest --test-dir build-asan --output-on-failure

option(OAS_SANITIZE "build the C tests with -fsanitize=address,undefined (no valgrind variants)" OFF)
set(OAS_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
# detect_leaks is ASan's default on Linux; it is stated so a changed default
# cannot silently turn the leak check off. ASan errors and leaks exit with 86,
# UBSan with 88: distinct from a failed check's 1.
set(OAS_SANITIZE_ENV
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1"
  "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/c/lsan.supp:print_suppressions=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=88")

if(OAS_SANITIZE)
  include(CheckCSourceRuns)
  set(CMAKE_REQUIRED_FLAGS "${OAS_SANITIZE_FLAGS}")
  string(REPLACE ";" " " CMAKE_REQUIRED_FLAGS "${CMAKE_REQUIRED_FLAGS}")
  set(CMAKE_REQUIRED_LINK_OPTIONS ${OAS_SANITIZE_FLAGS})
  check_c_source_runs("int main(void) { return 0; }" OAS_SANITIZER_WORKS)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT OAS_SANITIZER_WORKS)
    message(FATAL_ERROR "-fsanitize=address,undefined does not work with ${CMAKE_C_COMPILER} "
                        "(on Debian: apt-get install libasan8 libubsan1)")
  endif()
endif()

# oas_sanitize_target(<target>): sanitizer flags for one C program (no-op
# unless OAS_SANITIZE).
function(oas_sanitize_target target)
  if(OAS_SANITIZE)
    target_compile_options(${target} PRIVATE ${OAS_SANITIZE_FLAGS})
    target_link_options(${target} PRIVATE ${OAS_SANITIZE_FLAGS})
  endif()
endfunction()

# oas_sanitize_test(<test>): the sanitizer options in the test's environment.
function(oas_sanitize_test test)
  if(OAS_SANITIZE)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT ${OAS_SANITIZE_ENV})
    set_property(TEST ${test} APPEND PROPERTY LABELS "asan")
  endif()
endfunction()
