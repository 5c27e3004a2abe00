# NNEF import tests (include()d from tests/CMakeLists.txt), all through tests/nnef/nnef_tests.py:
#   models.nnef_ops.<target>       every NNEF 1.0 standard operation's generated cases
#                                  (tests/nnef/nnef_cases.py, references from tract, NNEF-Tools'
#                                  interpreter or the spec's formulas in numpy); the ops listed in
#                                  tests/nnef/unsupported.txt may fail, no other
#   models.nnef_zoo.<target>       the zoo's models converted to NNEF by NNEF-Tools, against
#                                  onnxruntime's outputs for the ONNX originals (rtol 1e-3 / atol
#                                  1e-4); models the converter cannot convert are skipped; on
#                                  x86-64-opencl three models, models.nnef_zoo_all.x86-64-opencl
#                                  (label 'full') the whole zoo
#   models.nnef_zoo_archive        squeezenet1_1 compiled from a .tgz of its NNEF directory
#   models.nnef_quantized          a quantized NNEF model (graph.quant) on the int8 path
# Targets: x86-64, rk3399 (qemu) and x86-64-opencl (PoCL).
set(DNNCC_NNEF_TEST ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
    ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/nnef_tests.py --dnncc $<TARGET_FILE:dnncc>
    --dnncc-run $<TARGET_FILE:dnncc-run>)
set(DNNCC_NNEF_BIN ${CMAKE_CURRENT_BINARY_DIR}/nnef)
foreach(target x86-64 rk3399 x86-64-opencl)
  add_test(NAME models.nnef_ops.${target}
           COMMAND ${DNNCC_NNEF_TEST} --target=${target} ops ${DNNCC_NNEF_BIN}/ops-${target})
  set_tests_properties(models.nnef_ops.${target} PROPERTIES LABELS "models;nnef" TIMEOUT 1500)
  # On PoCL three models by default (the importer's output does not depend on the target, and
  # the zoo's OpenCL kernels run in models.opencl.*), the whole zoo in 'full'.
  set(zoo_models)
  if(target STREQUAL "x86-64-opencl")
    set(zoo_models --models squeezenet1_1,mobilenet_v2,bert_tiny)
    add_test(NAME models.nnef_zoo_all.${target}
             COMMAND ${DNNCC_NNEF_TEST} --target=${target} zoo ${DNNCC_NNEF_BIN}/zoo-all-${target})
    set_tests_properties(models.nnef_zoo_all.${target} PROPERTIES LABELS "models;nnef;zoo;full"
                         TIMEOUT 1800)
  endif()
  add_test(NAME models.nnef_zoo.${target}
           COMMAND ${DNNCC_NNEF_TEST} --target=${target} zoo ${DNNCC_NNEF_BIN}/zoo-${target}
                   ${zoo_models})
  set_tests_properties(models.nnef_zoo.${target} PROPERTIES LABELS "models;nnef;zoo"
                       TIMEOUT 1800)
endforeach()
add_test(NAME models.nnef_zoo_archive
         COMMAND ${DNNCC_NNEF_TEST} --target=x86-64 zoo ${DNNCC_NNEF_BIN}/zoo-archive
                 --models squeezenet1_1 --archive)
set_tests_properties(models.nnef_zoo_archive PROPERTIES LABELS "models;nnef" TIMEOUT 600)
add_test(NAME models.nnef_quantized
         COMMAND ${DNNCC_NNEF_TEST} --target=x86-64 quantized ${DNNCC_NNEF_BIN}/quantized)
set_tests_properties(models.nnef_quantized PROPERTIES LABELS "models;nnef" TIMEOUT 600)
