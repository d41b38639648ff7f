# extatus_dependency_target(<name> <pkg-config module>)
#
# Defines the imported target extatus::dependency_<name>, through which a
# static extatus archive names a library it needs: the library as
# pkg-config finds it (with its own dependencies), or else plainly
# -l<name>. Used by the build and, installed beside extatusConfig.cmake,
# again on the consumer's side, so the exported static targets carry their
# dependencies without hard-coding this machine's paths.
function(extatus_dependency_target name module)
  if(TARGET extatus::dependency_${name})
    return()
  endif()
  set(libraries ${name})
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(_extatus_dependency QUIET ${module})
    if(_extatus_dependency_FOUND)
      set(libraries ${_extatus_dependency_LINK_LIBRARIES})
    endif()
  endif()
  add_library(extatus::dependency_${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(extatus::dependency_${name} PROPERTIES
    INTERFACE_LINK_LIBRARIES "${libraries}")
endfunction()
