# Label values must carry their count: compile label_shapes.c once per
# shape. Shape 0 (the counted form) must compile; shapes 1 to 4 (a bare
# array, NULL, a compound literal, a pointer: the calls before
# extatus_labels) must fail, naming extatus_labels.
# Usage: cmake -DCC=<compiler> -DINCLUDE_DIR=<dir> -DSOURCE=<file> -P label_shapes.cmake
foreach(var CC INCLUDE_DIR SOURCE)
  if(NOT ${var})
    message(FATAL_ERROR "label_shapes: ${var} is not set")
  endif()
endforeach()

foreach(shape 0 1 2 3 4)
  execute_process(
    COMMAND ${CC} -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only
            -I${INCLUDE_DIR} -DLABEL_SHAPE=${shape} ${SOURCE}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(shape EQUAL 0)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "label_shapes: the counted form does not compile:\n${output}")
    endif()
  else()
    if(result EQUAL 0)
      message(FATAL_ERROR "label_shapes: shape ${shape} (label values without a count) compiles")
    endif()
    if(NOT output MATCHES "extatus_labels")
      message(FATAL_ERROR "label_shapes: shape ${shape} fails for another reason:\n${output}")
    endif()
  endif()
endforeach()
