# Reference pages: docs/man/<page>.<section>.md is the one source; at build
# time lowdown(1) turns each into a roff page (build/man/man<section>/<page>.<section>)
# that `make install` puts under CMAKE_INSTALL_MANDIR, where man(1) finds it.
option(EXTATUS_MAN "Build and install the man pages (needs lowdown)" ON)
if(NOT EXTATUS_MAN)
  return()
endif()

find_program(EXTATUS_LOWDOWN lowdown)
if(NOT EXTATUS_LOWDOWN)
  message(WARNING "lowdown not found: man pages are not built "
                  "(install the Debian package lowdown, or pass -DEXTATUS_MAN=OFF)")
  return()
endif()

file(GLOB EXTATUS_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.md)
set(EXTATUS_MAN_PAGES)
foreach(source ${EXTATUS_MAN_SOURCES})
  get_filename_component(file ${source} NAME)                   # extatus_x.3.md
  string(REGEX REPLACE "\\.md$" "" page_file "${file}")          # extatus_x.3
  string(REGEX MATCH "[0-9]$" section "${page_file}")
  string(REGEX REPLACE "\\.[0-9]$" "" page "${page_file}")       # extatus_x
  set(output ${PROJECT_BINARY_DIR}/man/man${section}/${page_file})
  # Underscores are part of names, not emphasis; links show their text only
  # (the targets are the Markdown files, which a man page cannot follow).
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man/man${section}
    COMMAND ${EXTATUS_LOWDOWN} -s -Tman --parse-no-intraemph --nroff-nolinks
            -M title=${page} -M section=${section} -M source=extatus
            -o ${output} ${source}
    DEPENDS ${source}
    COMMENT "Man page ${page}(${section})"
    VERBATIM)
  list(APPEND EXTATUS_MAN_PAGES ${output})
  install(FILES ${output} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(extatus_man ALL DEPENDS ${EXTATUS_MAN_PAGES})
