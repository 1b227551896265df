# SPDX-License-Identifier: MIT
# The libFuzzer build (ZAE_FUZZ=ON, CC=clang CXX=clang++): the libraries that hold the parsers,
# instrumented for coverage with ASan and UBSan, and one fuzz target per input surface
# (tests/fuzz, docs/fuzzing.md). No tests, benchmarks, backends or CLI.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "ZAE_FUZZ needs clang (libFuzzer): configure with CXX=clang++")
endif()
set(ZAE_FUZZ_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(-fsanitize=fuzzer-no-link ${ZAE_FUZZ_FLAGS})
add_link_options(${ZAE_FUZZ_FLAGS})

include(GNUInstallDirs)
include(cmake/ZaeHelpers.cmake)
enable_testing()

add_subdirectory(src/core)
add_subdirectory(src/aws)
add_subdirectory(src/store)
add_subdirectory(src/manifest)
add_subdirectory(tests/fuzz)
