# extatus-push: push to a Prometheus Pushgateway (extatus_push_once, the
# pushgateway reporter) over libcurl, with gzip from zlib. A library of its
# own on the public API, so that libextatus never depends on libcurl.
# Installed with its own pkg-config file (extatus-push.pc) and as the
# CMake package component `push` (targets extatus::extatus_push and
# extatus::extatus_push_static). Its HTTP transport (src/push/push_http.h)
# is internal: other push protocols of this library build on it.
option(EXTATUS_PUSH "Build extatus-push, the Pushgateway client (needs libcurl and zlib)" ON)
if(NOT EXTATUS_PUSH)
  return()
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(EXTATUS_CURL REQUIRED IMPORTED_TARGET libcurl>=7.68)
pkg_check_modules(EXTATUS_ZLIB REQUIRED IMPORTED_TARGET zlib)
# libsnappy compresses remote write bodies (snappy's block format).
pkg_check_modules(EXTATUS_SNAPPY REQUIRED IMPORTED_TARGET snappy)

file(GLOB EXTATUS_PUSH_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/push/*.c)

# One set of objects for the shared library and the static archive (which
# carries libcurl and zlib as extatus::dependency_curl and _z).
add_library(extatus_push_objects OBJECT ${EXTATUS_PUSH_SOURCES})
set_target_properties(extatus_push_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(extatus_push_objects PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/include ${EXTATUS_CURL_INCLUDE_DIRS} ${EXTATUS_ZLIB_INCLUDE_DIRS}
  ${EXTATUS_SNAPPY_INCLUDE_DIRS})
target_compile_definitions(extatus_push_objects PRIVATE _GNU_SOURCE EXTATUS_BUILDING_SHARED)
extatus_warnings(extatus_push_objects)

extatus_dependency_target(curl libcurl)
extatus_dependency_target(z zlib)
extatus_dependency_target(snappy snappy)
add_library(extatus_push SHARED $<TARGET_OBJECTS:extatus_push_objects>)
add_library(extatus_push_static STATIC $<TARGET_OBJECTS:extatus_push_objects>)
set_target_properties(extatus_push_static PROPERTIES OUTPUT_NAME extatus-push)
foreach(lib extatus_push extatus_push_static)
  target_include_directories(${lib} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
target_link_libraries(extatus_push PUBLIC extatus PRIVATE PkgConfig::EXTATUS_CURL PkgConfig::EXTATUS_ZLIB
  PkgConfig::EXTATUS_SNAPPY)
target_link_libraries(extatus_push_static PUBLIC extatus_static
  extatus::dependency_curl extatus::dependency_z extatus::dependency_snappy)
set_target_properties(extatus_push PROPERTIES OUTPUT_NAME extatus-push
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_FLAGS "-Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/src/push/extatus-push.map")
add_library(extatus::extatus_push ALIAS extatus_push)
add_library(extatus::extatus_push_static ALIAS extatus_push_static)

# The package component `push`: find_package(extatus COMPONENTS push).
install(TARGETS extatus_push extatus_push_static EXPORT extatusPushTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT extatusPushTargets NAMESPACE extatus::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/extatus)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/extatus-push.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/extatus-push.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/extatus-push.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
