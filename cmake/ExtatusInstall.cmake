# Install headers, both libraries, a pkg-config file and a CMake package.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS extatus extatus_static EXPORT extatusTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT extatusTargets NAMESPACE extatus::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)

configure_package_config_file(cmake/extatusConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/extatusConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/extatusConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/extatusConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/extatusConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)

configure_file(cmake/extatus.pc.in ${CMAKE_CURRENT_BINARY_DIR}/extatus.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/extatus.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
