# Private warning set for the project's own targets; -Werror only when
# EXTATUS_WERROR is on (make test and CI turn it on).
function(extatus_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef
    -Wvla)
  if(EXTATUS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
