# CMake toolchain file for 32-bit ARMv7 hard-float Linux boards (e.g. a Raspberry Pi 3 with a
# 32-bit OS) with Debian's cross compiler (apt install gcc-arm-linux-gnueabihf); no sysroot needed:
#   cmake -G Ninja -B build-armv7 -DCMAKE_TOOLCHAIN_FILE=toolchain-armv7.cmake ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
# Libraries and headers come from the cross libc; programs (dnncc) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# try_run() and add_test() run target programs under qemu-user (apt install qemu-user).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf)
