# SPDX-License-Identifier: MIT
# Installs the library so other CMake projects can `find_package(zae-limiter)` and link `zae::zae`.
include(CMakePackageConfigHelpers)
install(DIRECTORY include/zae DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS zae_core zae_store zae_limiter zae_sqlite zae_aws zae_dynamodb zae_zae
  EXPORT zae-limiter-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS zae-limiter RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT zae-limiter-targets NAMESPACE zae:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zae-limiter)
configure_package_config_file(cmake/zae-limiter-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/zae-limiter-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zae-limiter)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/zae-limiter-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/zae-limiter-config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/zae-limiter-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/zae-limiter)
