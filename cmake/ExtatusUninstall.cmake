# `cmake --build <dir> --target uninstall` (and `make uninstall`) removes
# every file the last `cmake --install` of this build tree wrote, as listed
# in its install_manifest.txt, and the folders left empty under the prefix.
if(TARGET uninstall)
  return()
endif()
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${PROJECT_BINARY_DIR}/install_manifest.txt
          -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
  COMMENT "Removing the installed files of this build"
  VERBATIM)
