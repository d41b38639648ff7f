# extatus_yaml: configuration files (extatus_config_load), a library of its
# own so that libextatus never depends on libyaml. Installed with its own
# pkg-config file (extatus_yaml.pc) and CMake target extatus::extatus_yaml.
option(EXTATUS_YAML "Build extatus_yaml, the YAML configuration loader (needs libyaml-dev)" ON)
if(NOT EXTATUS_YAML)
  return()
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(EXTATUS_LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1)

add_library(extatus_yaml SHARED ${CMAKE_CURRENT_SOURCE_DIR}/src/yaml/config.c)
target_include_directories(extatus_yaml PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_definitions(extatus_yaml PRIVATE _GNU_SOURCE EXTATUS_BUILDING_SHARED)
target_link_libraries(extatus_yaml PUBLIC extatus PRIVATE PkgConfig::EXTATUS_LIBYAML)
set_target_properties(extatus_yaml PROPERTIES
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
extatus_warnings(extatus_yaml)
add_library(extatus::extatus_yaml ALIAS extatus_yaml)

install(TARGETS extatus_yaml EXPORT extatusYamlTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT extatusYamlTargets NAMESPACE extatus::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/extatus_yaml.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/extatus_yaml.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/extatus_yaml.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
