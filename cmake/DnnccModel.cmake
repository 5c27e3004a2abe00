# DnnccModel.cmake: compile an ONNX model with dnncc at build time and link it like a library.
#
#   find_package(dnncc REQUIRED)        # an installed dnncc (lib/cmake/dnncc), or from a checkout:
#   include(path/to/dnncc/cmake/DnnccModel.cmake)
#   dnncc_add_model(tinynet MODEL ${CMAKE_CURRENT_SOURCE_DIR}/model.onnx TARGET rk3399)
#   add_executable(app app.c)                     # app.c: #include "libtinynet.h"
#   target_link_libraries(app PRIVATE tinynet)    # builds the model first, adds the include dir
#
#   dnncc_add_model(<name> MODEL <file.onnx> [TARGET <target>] [DNNCC <path to dnncc>]
#                   [OPTIONS <dnncc option>...])
#
# Runs `dnncc <file.onnx> --target=<target> --name <name> -o lib<name>.so [OPTIONS...]` whenever the
# model or the dnncc binary changes, writing ${CMAKE_CURRENT_BINARY_DIR}/lib<name>.so and
# lib<name>.h (API prefix <name>_, so <name> must be a C identifier). Defines:
#   <name>          IMPORTED SHARED library (SONAME lib<name>.so; the include directory is
#                   ${CMAKE_CURRENT_BINARY_DIR}, where lib<name>.h is)
#   <name>_compile  the custom target that runs dnncc (linking <name> depends on it)
#
# TARGET: a dnncc target name (`dnncc --list-targets`) or a target .json file. Default `host` for
# a native build; a cross build (CMAKE_CROSSCOMPILING, i.e. a toolchain file) must name it, since
# dnncc cannot guess the board's CPU.
# DNNCC: the dnncc executable (or a CMake target that builds it). Default: the DNNCC_EXECUTABLE
# variable when set (-DDNNCC_EXECUTABLE=/path/to/dnncc/build/bin/dnncc), else dnncc::dnncc when
# find_package(dnncc) defined it (the installed dnncc next to the package), else dnncc found on
# PATH by find_program().
# OPTIONS: extra dnncc arguments, e.g. `OPTIONS --input-shape x=1x3x224x224`.
# The module needs CMake 3.20 (cmake_path) or newer.

function(dnncc_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MODEL;TARGET;DNNCC" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dnncc_add_model(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS} "
                        "(expected MODEL, TARGET, DNNCC, OPTIONS)")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "dnncc_add_model(${name}): the name is the model's C API prefix and must "
                        "be a C identifier ([A-Za-z_][A-Za-z0-9_]*)")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "dnncc_add_model(${name}): MODEL <file.onnx> is required")
  endif()
  cmake_path(ABSOLUTE_PATH ARG_MODEL BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE
             OUTPUT_VARIABLE model)
  if(NOT EXISTS ${model})
    message(FATAL_ERROR "dnncc_add_model(${name}): no such model file: ${model}")
  endif()

  if(NOT ARG_TARGET)
    if(CMAKE_CROSSCOMPILING)
      message(FATAL_ERROR
        "dnncc_add_model(${name}): this is a cross build (CMAKE_SYSTEM_PROCESSOR="
        "${CMAKE_SYSTEM_PROCESSOR}); name the board's dnncc target with TARGET, e.g. TARGET rk3399 "
        "or TARGET armv7 (`dnncc --list-targets`). The default `host` would compile for the "
        "build machine.")
    endif()
    set(ARG_TARGET host)
  endif()

  if(ARG_DNNCC)
    set(dnncc ${ARG_DNNCC})
  elseif(DNNCC_EXECUTABLE)
    set(dnncc ${DNNCC_EXECUTABLE})
  elseif(TARGET dnncc::dnncc)
    get_target_property(dnncc dnncc::dnncc IMPORTED_LOCATION)
  else()
    find_program(DNNCC_EXECUTABLE dnncc DOC "the dnncc compiler used by dnncc_add_model()")
    if(NOT DNNCC_EXECUTABLE)
      message(FATAL_ERROR "dnncc_add_model(${name}): dnncc not found; pass DNNCC <path> or "
                          "-DDNNCC_EXECUTABLE=/path/to/dnncc/build/bin/dnncc")
    endif()
    set(dnncc ${DNNCC_EXECUTABLE})
  endif()
  if(NOT TARGET ${dnncc} AND NOT EXISTS ${dnncc})
    message(FATAL_ERROR "dnncc_add_model(${name}): dnncc executable '${dnncc}' does not exist")
  endif()

  set(dir ${CMAKE_CURRENT_BINARY_DIR})
  set(lib ${dir}/lib${name}.so)
  set(header ${dir}/lib${name}.h)
  # A target .json file given as TARGET is a dependency as well.
  set(target_file)
  if(ARG_TARGET MATCHES "/|\\.json$")
    cmake_path(ABSOLUTE_PATH ARG_TARGET BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE
               OUTPUT_VARIABLE ARG_TARGET)
    set(target_file ${ARG_TARGET})
  endif()
  add_custom_command(
    OUTPUT ${lib} ${header}
    COMMAND ${dnncc} ${model} --target=${ARG_TARGET} --name ${name} -o ${lib} ${ARG_OPTIONS}
    DEPENDS ${model} ${dnncc} ${target_file}
    COMMENT "dnncc: compiling ${model} for ${ARG_TARGET} into ${lib}"
    VERBATIM)
  add_custom_target(${name}_compile DEPENDS ${lib} ${header})

  add_library(${name} SHARED IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION ${lib}
    IMPORTED_SONAME lib${name}.so
    IMPORTED_NO_SONAME OFF
    INTERFACE_INCLUDE_DIRECTORIES ${dir})
  add_dependencies(${name} ${name}_compile)
endfunction()
