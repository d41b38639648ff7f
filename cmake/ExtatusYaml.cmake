# extatus-yaml: configuration files (extatus_config_load), a library of its
# own so that libextatus never depends on libyaml. Installed with its own
# pkg-config file (extatus-yaml.pc) and as the CMake package component
# `yaml` (targets extatus::extatus_yaml and extatus::extatus_yaml_static).
# When the push library is built (ExtatusPush.cmake, included first), a
# file can also define pushgateway reporters, and extatus-yaml links it.
option(EXTATUS_YAML "Build extatus-yaml, the YAML configuration loader (needs libyaml-dev)" ON)
if(NOT EXTATUS_YAML)
  return()
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(EXTATUS_LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1)

# One set of objects for the shared library and the static archive (which
# carries libyaml as extatus::dependency_yaml, like extatus-http's archive).
add_library(extatus_yaml_objects OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/src/yaml/config.c)
set_target_properties(extatus_yaml_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(extatus_yaml_objects PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/include ${EXTATUS_LIBYAML_INCLUDE_DIRS})
target_compile_definitions(extatus_yaml_objects PRIVATE _GNU_SOURCE EXTATUS_BUILDING_SHARED)
extatus_warnings(extatus_yaml_objects)

extatus_dependency_target(yaml yaml-0.1)
add_library(extatus_yaml SHARED $<TARGET_OBJECTS:extatus_yaml_objects>)
add_library(extatus_yaml_static STATIC $<TARGET_OBJECTS:extatus_yaml_objects>)
set_target_properties(extatus_yaml_static PROPERTIES OUTPUT_NAME extatus-yaml)
foreach(lib extatus_yaml extatus_yaml_static)
  target_include_directories(${lib} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
target_link_libraries(extatus_yaml PUBLIC extatus PRIVATE PkgConfig::EXTATUS_LIBYAML)
target_link_libraries(extatus_yaml_static PUBLIC extatus_static extatus::dependency_yaml)
# extatus-yaml.pc requires extatus-push then: its shared library needs libextatus-push.so.
set(EXTATUS_YAML_PC_REQUIRES "")
if(TARGET extatus_push)
  target_compile_definitions(extatus_yaml_objects PRIVATE EXTATUS_YAML_PUSH)
  target_link_libraries(extatus_yaml PRIVATE extatus_push)
  target_link_libraries(extatus_yaml_static PUBLIC extatus_push_static)
  set(EXTATUS_YAML_PC_REQUIRES " extatus-push")
endif()
set_target_properties(extatus_yaml PROPERTIES OUTPUT_NAME extatus-yaml
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
add_library(extatus::extatus_yaml ALIAS extatus_yaml)
add_library(extatus::extatus_yaml_static ALIAS extatus_yaml_static)

# The package component `yaml`: find_package(extatus COMPONENTS yaml).
install(TARGETS extatus_yaml extatus_yaml_static EXPORT extatusYamlTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT extatusYamlTargets NAMESPACE extatus::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/extatus-yaml.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/extatus-yaml.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/extatus-yaml.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
