# The vision example apps (examples/CMakeLists.txt) built as a user would and checked against the
# same pipelines with onnxruntime (examples/reference.py) by vision_examples.py:
#   models.examples.host     native build for host
#   models.examples.rk3399   board/toolchain-aarch64.cmake + DNNCC_TARGET=rk3399, apps under qemu
#                            (label full)
# The models come from examples/fetch_models.py (scripts/test.sh runs it) in models/examples.
get_filename_component(DNNCC_EXAMPLES_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(DNNCC_EXAMPLES_TEST ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
    ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/vision_examples.py --cmake ${CMAKE_COMMAND}
    --ninja ${CMAKE_MAKE_PROGRAM} --dnncc $<TARGET_FILE:dnncc> --repo ${DNNCC_EXAMPLES_REPO}
    --models ${DNNCC_EXAMPLES_REPO}/models/examples --python ${DNNCC_TEST_PYTHON})

add_test(NAME models.examples.host
         COMMAND ${DNNCC_EXAMPLES_TEST} --work ${CMAKE_CURRENT_BINARY_DIR}/examples/host
                 --target host --cc ${CMAKE_C_COMPILER})
add_test(NAME models.examples.rk3399
         COMMAND ${DNNCC_EXAMPLES_TEST} --work ${CMAKE_CURRENT_BINARY_DIR}/examples/rk3399
                 --target rk3399
                 --toolchain ${DNNCC_EXAMPLES_REPO}/examples/board/toolchain-aarch64.cmake
                 --run "qemu-aarch64 -L /usr/aarch64-linux-gnu")
set_tests_properties(models.examples.host PROPERTIES LABELS "models;examples" TIMEOUT 600)
# Under qemu (66 s): in `ctest --preset full`, to keep the default suite within 30 minutes.
set_tests_properties(models.examples.rk3399 PROPERTIES LABELS "models;examples;full" TIMEOUT 600)
