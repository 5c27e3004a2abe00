# Installation and the Debian package.
#
#   cmake --install build --prefix P     # P/bin/dnncc, dnncc-run, dnncc-zoo, P/lib/dnncc/ (runtime
#                                        # archives, dnncc-exec-<arch>), P/lib/cmake/dnncc/,
#                                        # P/share/doc/dnncc/
#   cpack --config build/CPackConfig.cmake -B out   # out/dnncc_<version>_amd64.deb (prefix /usr)
#
# The tree is relocatable: dnncc finds lib/dnncc next to its own executable, and the CMake package
# computes its prefix from where its config file is. The executables and lib/dnncc's files have their
# own install() rules next to the targets that build them.

include(CMakePackageConfigHelpers)
set(DNNCC_INSTALL_CMAKEDIR lib/cmake/dnncc)

# find_package(dnncc): imported executables dnncc::dnncc and dnncc::dnncc-run, dnncc_add_model().
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/dnnccConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/dnnccConfig.cmake
  INSTALL_DESTINATION ${DNNCC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
# SameMinorVersion: before 1.0 a minor version may change the generated C API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/dnnccConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/dnnccConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/dnnccConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/DnnccModel.cmake
        DESTINATION ${DNNCC_INSTALL_CMAKEDIR})

install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")

# The Debian package: dnncc_<version>_<arch>.deb. Its shared-library dependencies (Halide, LLVM,
# protobuf, onnx, fmt, libarchive) are derived by dpkg-shlibdeps from the staged host executables
# when cpack runs (CPackDebDepends.cmake; CPack's own CPACK_DEBIAN_PACKAGE_SHLIBDEPS would also
# scan the ARM dnncc-exec builds and demand foreign-architecture libc6:arm64/armhf). The tools
# dnncc runs as programs (ld.lld-14, llvm-objcopy-14, llvm-ar-14) and dnncc-zoo's Python are named
# here. Running ARM libraries under qemu (dnncc-run), OpenCL libraries on this machine and
# dnncc_add_model() (cmake) are recommends.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dnncc)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "ahead-of-time compiler from ONNX and NNEF models to native shared libraries")
set(CPACK_PACKAGE_CONTACT "dnncc developers <dnncc@users.noreply.github.com>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "lld-14, llvm-14, python3 (>= 3.11)") # python3: dnncc-zoo
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "qemu-user, libc6-arm64-cross, libc6-armhf-cross, ocl-icd-libopencl1, cmake")
set(CPACK_DNNCC_HOST_ARCH ${CMAKE_SYSTEM_PROCESSOR})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/CPackDebDepends.cmake)
include(CPack)
