# Fuzz targets (include()d from tests/CMakeLists.txt; docs/security.md, "Fuzzing"). Each target
# defines LLVMFuzzerTestOneInput. In the regular build it is linked with ReplayMain.cpp, and the
# test fuzz.replay.<name> runs it over its seed corpus (tests/fuzz/corpus/<name>) and every crash
# found so far (tests/fuzz/crashes/<name>): fast, no fuzzing. In the `fuzz` preset
# (-DDNNCC_FUZZ=ON, clang with ASan/UBSan and coverage instrumentation) it is linked with
# libFuzzer instead; scripts/fuzz.sh NAME SECONDS runs it.
option(DNNCC_FUZZ "Link the fuzz targets with libFuzzer (clang; the fuzz preset)" OFF)
set(DNNCC_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(dnncc_fuzz_support STATIC ${DNNCC_FUZZ_DIR}/FuzzSupport.cpp)
target_include_directories(dnncc_fuzz_support PUBLIC ${DNNCC_FUZZ_DIR})
target_link_libraries(dnncc_fuzz_support PUBLIC dnncc_ir)

# dnncc_fuzz_target(NAME LIBS libraries... [SEEDS more seed directories...])
function(dnncc_fuzz_target name)
  cmake_parse_arguments(F "" "" "LIBS;SEEDS" ${ARGN})
  add_executable(fuzz_${name} ${DNNCC_FUZZ_DIR}/${name}.cpp)
  target_link_libraries(fuzz_${name} PRIVATE dnncc_fuzz_support ${F_LIBS})
  if(DNNCC_FUZZ)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(fuzz_${name} PRIVATE ${DNNCC_FUZZ_DIR}/ReplayMain.cpp)
  endif()
  set(seeds ${F_SEEDS} ${DNNCC_FUZZ_DIR}/crashes/${name})
  if(EXISTS ${DNNCC_FUZZ_DIR}/corpus/${name})
    list(PREPEND seeds ${DNNCC_FUZZ_DIR}/corpus/${name})
  endif()
  add_test(NAME fuzz.replay.${name} COMMAND fuzz_${name} ${seeds})
  set_tests_properties(fuzz.replay.${name} PROPERTIES LABELS "errors;sanitize" TIMEOUT 600)
endfunction()

dnncc_fuzz_target(onnx_import LIBS dnncc_frontend_onnx)
dnncc_fuzz_target(compile LIBS dnncc_frontend_onnx dnncc_passes dnncc_codegen
                  SEEDS ${DNNCC_FUZZ_DIR}/corpus/onnx_import)
dnncc_fuzz_target(ir_parser LIBS dnncc_ir SEEDS ${CMAKE_SOURCE_DIR}/tests/ir)
dnncc_fuzz_target(tensor_io LIBS dnncc_tensor_io)
target_include_directories(fuzz_tensor_io PRIVATE ${CMAKE_SOURCE_DIR}/tools/dnncc-run)
dnncc_fuzz_target(nnef_import LIBS dnncc_frontend_nnef)
dnncc_fuzz_target(nnef_tensor_file LIBS dnncc_frontend_nnef)
