# Installing dnncc as a user does (include()d from tests/CMakeLists.txt):
#   install.prefix  cmake --install into a temporary prefix, moved, then compile/run the default
#                   model with the installed tools and build examples/board via find_package(dnncc)
#   install.deb     cpack's dnncc_<version>_amd64.deb: Depends, contents, unpacked tools work
# Both read the build tree as it is (they run after the build; nothing here rebuilds it).
get_filename_component(DNNCC_INSTALL_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_test(NAME install.prefix
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install_test.sh --cmake ${CMAKE_COMMAND}
                 --ninja ${CMAKE_MAKE_PROGRAM} --cc ${CMAKE_C_COMPILER} --build ${CMAKE_BINARY_DIR}
                 --repo ${DNNCC_INSTALL_REPO} --work ${CMAKE_CURRENT_BINARY_DIR}/install/prefix)
add_test(NAME install.deb
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/deb_test.sh --cpack ${CMAKE_CPACK_COMMAND}
                 --build ${CMAKE_BINARY_DIR} --repo ${DNNCC_INSTALL_REPO} --version ${PROJECT_VERSION}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/install/deb)
set_tests_properties(install.prefix install.deb PROPERTIES LABELS "install" TIMEOUT 300)
