# Run by cpack after it has staged the install tree (CPACK_PRE_BUILD_SCRIPTS, set in
# cmake/Install.cmake): appends to the .deb's Depends what dpkg-shlibdeps finds for the staged host
# executables. Staged, not build-tree, files: the build tree's dnncc has a RUNPATH into
# /usr/lib/llvm-14/lib, whose libLLVM symlink belongs to llvm-14-dev, and dpkg-shlibdeps then
# names libllvm14 only some of the time.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(_dnncc_root "${CPACK_TEMPORARY_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")
  set(_dnncc_dir "${CPACK_TOPLEVEL_DIRECTORY}/shlibdeps")
  file(MAKE_DIRECTORY "${_dnncc_dir}/debian")
  file(TOUCH "${_dnncc_dir}/debian/control") # dpkg-shlibdeps insists on one
  execute_process(
    COMMAND dpkg-shlibdeps -O --ignore-missing-info "${_dnncc_root}/bin/dnncc"
            "${_dnncc_root}/bin/dnncc-run" "${_dnncc_root}/lib/dnncc/dnncc-exec-${CPACK_DNNCC_HOST_ARCH}"
    WORKING_DIRECTORY "${_dnncc_dir}"
    OUTPUT_VARIABLE _dnncc_out ERROR_VARIABLE _dnncc_err RESULT_VARIABLE _dnncc_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _dnncc_rc EQUAL 0 OR NOT _dnncc_out MATCHES "^shlibs:Depends=")
    message(FATAL_ERROR "dpkg-shlibdeps failed (${_dnncc_rc}): ${_dnncc_err}")
  endif()
  string(REGEX REPLACE "^shlibs:Depends=" "" _dnncc_out "${_dnncc_out}")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CPACK_DEBIAN_PACKAGE_DEPENDS}, ${_dnncc_out}")
endif()
