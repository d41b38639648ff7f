# Check that include/extatus.h includes every include/extatus/*.h, so that
# users of the umbrella header see the whole API. The systems API in
# include/extatus/sys/ is deliberately left out of the umbrella.
# Usage: cmake -DINCLUDE_DIR=<include dir> -P check_umbrella.cmake
if(NOT INCLUDE_DIR)
  message(FATAL_ERROR "check_umbrella: INCLUDE_DIR is not set")
endif()
set(umbrella ${INCLUDE_DIR}/extatus.h)
if(NOT EXISTS ${umbrella})
  message(FATAL_ERROR "check_umbrella: ${umbrella} does not exist")
endif()

file(STRINGS ${umbrella} include_lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
set(included)
foreach(line ${include_lines})
  string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[\"<]([^\">]+)[\">].*$" "\\1" path "${line}")
  list(APPEND included ${path})
endforeach()

file(GLOB headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/extatus/*.h)
list(SORT headers)
set(missing)
foreach(header ${headers})
  list(FIND included ${header} index)
  if(index EQUAL -1)
    list(APPEND missing ${header})
  endif()
endforeach()

if(missing)
  string(REPLACE ";" ", " missing "${missing}")
  message(FATAL_ERROR "check_umbrella: include/extatus.h does not include: ${missing}")
endif()
list(LENGTH headers count)
message(STATUS "check_umbrella: extatus.h includes all ${count} concern headers")
