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
