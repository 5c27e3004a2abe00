# CMake toolchain file for 64-bit ARM Linux boards (RK3399, Raspberry Pi 3/4 with a 64-bit OS,
# Jetson) with Debian's cross compiler (apt install gcc-aarch64-linux-gnu); no sysroot needed:
#   cmake -G Ninja -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=toolchain-aarch64.cmake ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Libraries and headers come from the cross libc; programs (dnncc) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# try_run() and add_test() run target programs under qemu-user (apt install qemu-user).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
