# SPDX-License-Identifier: MIT
# zae_add_library(NAME SOURCES ... DEPS ...): one static library per layer.
function(zae_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(zae_${name} STATIC ${ARG_SOURCES})
  add_library(zae::${name} ALIAS zae_${name})
  set_target_properties(zae_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME zae_${name})
  target_include_directories(zae_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(zae_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} $<BUILD_INTERFACE:zae_warnings>)
endfunction()

# zae_add_test(NAME SOURCES ... DEPS ... LABELS ...): a GoogleTest binary registered with CTest.
function(zae_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main zae_warnings)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
  # zae_unit_tests builds every unit and conformance binary and nothing else (make test-tsan).
  if(NOT TARGET zae_unit_tests)
    add_custom_target(zae_unit_tests)
  endif()
  if("unit" IN_LIST ARG_LABELS OR "conformance" IN_LIST ARG_LABELS)
    add_dependencies(zae_unit_tests ${name})
  endif()
endfunction()
