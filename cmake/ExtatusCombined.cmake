# extatus_combined_static(<target> <object library>)
#
# A static archive that holds one object: every object of <object library>
# linked together with `ld -r`. A program that uses any function of the
# archive then gets all of it, the assembly src/library.c included, whose
# constructor hands core the list of layers; from an archive of separate
# objects the linker would leave that file out, as nothing calls it.
function(extatus_combined_static target objects)
  set(combined ${CMAKE_CURRENT_BINARY_DIR}/${target}.combined.o)
  add_custom_command(OUTPUT ${combined}
    COMMAND ${CMAKE_LINKER} -r -o ${combined} $<TARGET_OBJECTS:${objects}>
    DEPENDS $<TARGET_OBJECTS:${objects}>
    COMMENT "Linking the objects of ${target} into one"
    COMMAND_EXPAND_LISTS VERBATIM)
  set_source_files_properties(${combined} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} STATIC ${combined})
  add_dependencies(${target} ${objects}) # the objects are built first
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
endfunction()
