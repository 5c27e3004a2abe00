# Finds dnncc's dependencies (all from Debian 12; see ../shared/TOOLCHAIN.md for the verified lines).
find_package(LLVM 14 REQUIRED CONFIG)
find_package(Halide 14 REQUIRED COMPONENTS Halide shared) # default components also demand PNG+JPEG
find_package(Protobuf REQUIRED) # must come before ONNX: ONNXConfig does not find it itself
find_package(ONNX REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(GTest REQUIRED CONFIG)
find_package(Threads REQUIRED)

separate_arguments(DNNCC_LLVM_DEFS NATIVE_COMMAND "${LLVM_DEFINITIONS}") # one "-D.. -D.." string

# lld is run as a program (ld.lld-14) when a model library is linked.
find_program(DNNCC_LLD NAMES ld.lld-14 ld.lld HINTS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)
find_package(nlohmann_json 3 REQUIRED CONFIG)
# llvm-objcopy localises everything but the model API in --emit=obj objects.
find_program(DNNCC_OBJCOPY NAMES llvm-objcopy-14 llvm-objcopy HINTS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)
# llvm-ar packs --emit=lib archives (any target architecture).
find_program(DNNCC_AR NAMES llvm-ar-14 llvm-ar HINTS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)

# Cross compilers (Debian's gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf) build, once when dnncc
# is built, the pieces that run on the targets: the dnncc runtime archive per architecture and
# dnncc-exec (dnncc-run's helper under qemu). Compiling a model needs no cross compiler.
set(DNNCC_CROSS_ARCHES aarch64 arm)
find_program(DNNCC_CROSS_CC_aarch64 NAMES aarch64-linux-gnu-gcc REQUIRED)
find_program(DNNCC_CROSS_AR_aarch64 NAMES aarch64-linux-gnu-ar REQUIRED)
find_program(DNNCC_CROSS_CC_arm NAMES arm-linux-gnueabihf-gcc REQUIRED)
find_program(DNNCC_CROSS_AR_arm NAMES arm-linux-gnueabihf-ar REQUIRED)

# libarchive (Debian's libarchive-dev) reads NNEF models packed as .tgz archives.
find_package(LibArchive REQUIRED)

# The Khronos NNEF parser (C++, Apache-2.0) comes with the `nnef` package on PyPI, which ships its
# C++ sources (nnef/cpp) next to the Python bindings; scripts/setup.sh installs it into .venv
# (requirements.txt pins the version). It is compiled into dnncc as the static library nnef_parser.
# DNNCC_NNEF_CPP_DIR overrides where those sources are found.
if(NOT DNNCC_NNEF_CPP_DIR)
  set(nnef_python ${CMAKE_SOURCE_DIR}/.venv/bin/python)
  if(NOT EXISTS ${nnef_python})
    message(FATAL_ERROR "the NNEF parser's sources come from the venv: run scripts/setup.sh "
                        "first, or set DNNCC_NNEF_CPP_DIR to the `nnef` package's cpp directory")
  endif()
  execute_process(COMMAND ${nnef_python} -c
                          "import nnef, os; print(os.path.join(os.path.dirname(nnef.__file__), 'cpp'))"
                  OUTPUT_VARIABLE nnef_cpp OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE nnef_rc)
  if(NOT nnef_rc EQUAL 0)
    message(FATAL_ERROR "the `nnef` Python package is missing from .venv: run scripts/setup.sh")
  endif()
  set(DNNCC_NNEF_CPP_DIR ${nnef_cpp} CACHE PATH "the nnef package's C++ sources (nnef/cpp)")
endif()
if(NOT EXISTS ${DNNCC_NNEF_CPP_DIR}/src/nnef.cpp)
  message(FATAL_ERROR "no NNEF parser sources in ${DNNCC_NNEF_CPP_DIR}")
endif()
# Three fixes to the parser's headers, applied to a copy in the build tree. The left side of an
# assignment is parsed without prototypes or declarations, and three forms reached code that needs
# them (SEGVs found by fuzzing, inputs in tests/fuzz/crashes/nnef_import): an invocation
# (`a(b) = relu(x);`, null prototype table in parseInvocation), a unary operator (`-w = ...;`,
# an operand without a type in parseUnary) and a binary one (`a - b = ...;`, in parseBinary).
# All are now syntax errors. Each fix is inserted
# before a line of the upstream text; the build stops if that line is gone, so no fix is lost.
set(nnef_include ${CMAKE_BINARY_DIR}/nnef-parser/include)
file(COPY ${DNNCC_NNEF_CPP_DIR}/include/ DESTINATION ${nnef_include})
file(READ ${nnef_include}/nnef/comp/comp_parser.h comp_parser)
function(nnef_insert_before anchor check)
  string(FIND "${comp_parser}" "${anchor}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "nnef/comp/comp_parser.h no longer holds '${anchor}': review the fixes "
                        "in cmake/Dependencies.cmake for this version of the nnef package")
  endif()
  string(REPLACE "${anchor}" "${check} ${anchor}" patched "${comp_parser}")
  set(comp_parser "${patched}" PARENT_SCOPE)
endfunction()
nnef_insert_before("auto it = prototypes->find(target);"
  "if ( !prototypes ) throw Error(position, \"expected an identifier, not an invocation\");")
nnef_insert_before("auto type = unaryResultType(rhs->type(), op);"
  "if ( !rhs->type() ) throw Error(position, \"expected an identifier, not an expression\");")
nnef_insert_before("auto type = binaryResultType(lhs->type(), rhs->type(), op);"
  "if ( !lhs->type() || !rhs->type() ) throw Error(position, \"expected an identifier, not an expression\");")
file(WRITE ${nnef_include}/nnef/comp/comp_parser.h "${comp_parser}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${DNNCC_NNEF_CPP_DIR}/include/nnef/comp/comp_parser.h)
add_library(nnef_parser STATIC ${DNNCC_NNEF_CPP_DIR}/src/nnef.cpp)
target_include_directories(nnef_parser SYSTEM PUBLIC ${nnef_include})
target_compile_options(nnef_parser PRIVATE -w)
# In sanitizer builds: the parser's graph.quant reader passes null declarations to code that binds
# them to a reference it does not read (flat_parser.h, parseArguments -> typeOf(arg, *decls));
# formally undefined, harmless, not ours to change, so UBSan's null check is off for it alone.
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=[^ ]*undefined")
  target_compile_options(nnef_parser PRIVATE -fno-sanitize=null)
endif()
