# Install headers, both libraries, a pkg-config file and a CMake package.
include(CMakePackageConfigHelpers)
include(ExtatusDependency)

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
              ${CMAKE_CURRENT_SOURCE_DIR}/cmake/ExtatusDependency.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)

# extatus.pc finds its prefix from its own place (${pcfiledir}), like the
# CMake package does, so an install moved or made with
# `cmake --install --prefix DIR` still points at itself. Absolute
# CMAKE_INSTALL_*DIR values are written as they are.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(EXTATUS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _extatus_pc_up "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" _extatus_pc_up "${_extatus_pc_up}")
  set(EXTATUS_PC_PREFIX "\${pcfiledir}/${_extatus_pc_up}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(EXTATUS_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(EXTATUS_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file(cmake/extatus.pc.in ${CMAKE_CURRENT_BINARY_DIR}/extatus.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/extatus.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
