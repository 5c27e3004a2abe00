# Tests of the compiler: IR text and verifier, the ONNX importer, the passes, and the golden IR
# tests in tests/ir (include()d from tests/CMakeLists.txt). Numbers are checked with the reference
# interpreter in test_util (every op through the Halide reference evaluator).
set(DNNCC_TEST_UNIT_DIR ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(DNNCC_TEST_IR_DIR ${CMAKE_CURRENT_LIST_DIR}/../ir ABSOLUTE)
include(GoogleTest)

add_library(dnncc_test_util STATIC ${DNNCC_TEST_UNIT_DIR}/test_util.cpp)
target_include_directories(dnncc_test_util PUBLIC ${DNNCC_TEST_UNIT_DIR})
target_link_libraries(dnncc_test_util PUBLIC dnncc_passes dnncc_codegen onnx_proto
                      protobuf::libprotobuf fmt::fmt GTest::gtest)

foreach(test ir_test importer_test index_import_test importer_conv_test passes_test ir_golden_test
             quantize_test small_types_test elementwise_test device_lowering_test
             half_arithmetic_test host_target_test op_rows_test)
  add_executable(${test} ${DNNCC_TEST_UNIT_DIR}/${test}.cpp)
  target_link_libraries(${test} PRIVATE dnncc_test_util dnncc_frontend_onnx GTest::gtest_main)
  # JIT compilation of the reference evaluator makes discovery slow on a busy machine.
  gtest_discover_tests(${test} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endforeach()
target_link_libraries(importer_conv_test PRIVATE onnx) # the ONNX operator schemas
target_compile_definitions(ir_golden_test PRIVATE DNNCC_TEST_IR_DIR="${DNNCC_TEST_IR_DIR}")
get_filename_component(DNNCC_DOCS_DIR ${CMAKE_CURRENT_LIST_DIR}/../../docs ABSOLUTE)
target_compile_definitions(op_rows_test PRIVATE DNNCC_DOCS_DIR="${DNNCC_DOCS_DIR}")

# The ops the importer decomposes into several IR ops (attention, normalisations, losses, RNNs).
add_executable(composite_import_test ${DNNCC_TEST_UNIT_DIR}/composite_import_test.cpp)
target_link_libraries(composite_import_test PRIVATE dnncc_test_util dnncc_frontend_onnx
                      GTest::gtest_main)
gtest_discover_tests(composite_import_test DISCOVERY_TIMEOUT 60)

# The NNEF importer: tensor files, broadcasting, padding, lowering, graph.quant.
add_executable(nnef_import_test ${DNNCC_TEST_UNIT_DIR}/nnef_import_test.cpp)
target_link_libraries(nnef_import_test PRIVATE dnncc_test_util dnncc_frontend_nnef
                      GTest::gtest_main)
gtest_discover_tests(nnef_import_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
