# Tests of the C runtime, the model header emitter and dnncc-run (include()d from
# tests/CMakeLists.txt).
# They use a hand-written model library (fake_model.c + fake_glue.c) linked like a real one: with
# the dnncc runtime archive and a standalone Halide runtime object built here.
set(DNNCC_TEST_UNIT_DIR ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(DNNCC_TEST_REPO_DIR ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
include(GoogleTest)

# A standalone Halide runtime for the host, as dnncc links into every model library.
add_executable(dnncc_gen_halide_runtime ${DNNCC_TEST_UNIT_DIR}/gen_halide_runtime.cpp)
target_link_libraries(dnncc_gen_halide_runtime PRIVATE Halide::Halide)
set(DNNCC_TEST_HALIDE_RUNTIME ${CMAKE_CURRENT_BINARY_DIR}/dnncc_test_halide_runtime.o)
add_custom_command(OUTPUT ${DNNCC_TEST_HALIDE_RUNTIME}
  COMMAND dnncc_gen_halide_runtime ${DNNCC_TEST_HALIDE_RUNTIME} host
  DEPENDS dnncc_gen_halide_runtime
  COMMENT "Compiling a standalone Halide runtime for the tests")
add_library(dnncc_test_fake_model STATIC ${DNNCC_TEST_UNIT_DIR}/fake_model.c
            ${DNNCC_TEST_HALIDE_RUNTIME})
target_include_directories(dnncc_test_fake_model PUBLIC ${DNNCC_TEST_UNIT_DIR}
                           ${DNNCC_HALIDE_RUNTIME_INCLUDE_DIR})
target_link_libraries(dnncc_test_fake_model PUBLIC dnncc_runtime_host Threads::Threads
                      ${CMAKE_DL_LIBS})

add_executable(runtime_test ${DNNCC_TEST_UNIT_DIR}/runtime_test.cpp)
target_link_libraries(runtime_test PRIVATE dnncc_test_fake_model GTest::gtest_main)
gtest_discover_tests(runtime_test PROPERTIES LABELS unit)

# The fake model as shared libraries with the exports of real ones: libfake.so (prefix fake) for
# dnncc-run, libtinynet.so (prefix tinynet) for examples/classify.
foreach(prefix fake tinynet)
  set(lib dnncc_test_lib${prefix})
  set(map ${CMAKE_CURRENT_BINARY_DIR}/${lib}.map)
  file(WRITE ${map} "{ global: ${prefix}_*; local: *; };\n")
  add_library(${lib} SHARED ${DNNCC_TEST_UNIT_DIR}/fake_glue.c)
  target_compile_definitions(${lib} PRIVATE FAKE_PREFIX=${prefix})
  target_link_libraries(${lib} PRIVATE dnncc_test_fake_model)
  target_link_options(${lib} PRIVATE -Wl,--version-script=${map})
  set_target_properties(${lib} PROPERTIES OUTPUT_NAME ${prefix} LINK_DEPENDS ${map}
                        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${lib})
endforeach()

add_executable(header_emitter_test ${DNNCC_TEST_UNIT_DIR}/header_emitter_test.cpp)
target_link_libraries(header_emitter_test PRIVATE dnncc_header_emitter GTest::gtest_main)
add_dependencies(header_emitter_test dnncc_test_libtinynet)
target_compile_definitions(header_emitter_test PRIVATE
  DNNCC_TEST_CC="${CMAKE_C_COMPILER}" DNNCC_TEST_CXX="${CMAKE_CXX_COMPILER}"
  DNNCC_TEST_C_FLAGS="${CMAKE_C_FLAGS}"
  DNNCC_TEST_CLASSIFY_C="${DNNCC_TEST_REPO_DIR}/examples/classify/classify.c"
  DNNCC_TEST_TINYNET_DIR="$<TARGET_FILE_DIR:dnncc_test_libtinynet>")
gtest_discover_tests(header_emitter_test PROPERTIES LABELS unit)

if(TARGET dnncc-run)
  add_executable(dnncc_run_test ${DNNCC_TEST_UNIT_DIR}/dnncc_run_test.cpp
                 ${DNNCC_TEST_REPO_DIR}/tools/dnncc-run/TensorIO.cpp)
  target_include_directories(dnncc_run_test PRIVATE ${DNNCC_TEST_REPO_DIR}/tools/dnncc-run)
  target_link_libraries(dnncc_run_test PRIVATE dnncc_header_emitter dnncc_ir onnx_proto protobuf::libprotobuf
                        fmt::fmt GTest::gtest_main)
  add_dependencies(dnncc_run_test dnncc-run dnncc_test_libfake)
  target_compile_definitions(dnncc_run_test PRIVATE
    DNNCC_TEST_DNNCC_RUN="$<TARGET_FILE:dnncc-run>"
    DNNCC_TEST_LIBFAKE="$<TARGET_FILE:dnncc_test_libfake>")
  gtest_discover_tests(dnncc_run_test PROPERTIES LABELS unit)
endif()
