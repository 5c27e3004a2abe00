# dnncc-zoo, the zoo checker for users' CI (include()d from tests/CMakeLists.txt):
#   tools.dnncc_zoo   zoo_tool_test.py: reports, --cache, --shard, injected regressions,
#                     expect_failure and skip on a two-model zoo made of tinynet
# Its bad-input errors are errors.dnncc_zoo.* (tests/errors/CMakeLists.cmake).
get_filename_component(DNNCC_ZOO_TOOL_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_test(NAME tools.dnncc_zoo
         COMMAND ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
                 ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/zoo_tool_test.py
                 --zoo-tool ${CMAKE_BINARY_DIR}/bin/dnncc-zoo --repo ${DNNCC_ZOO_TOOL_REPO}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/zoo_tool)
set_tests_properties(tools.dnncc_zoo PROPERTIES LABELS "tools" TIMEOUT 600)
