# The ONNX backend test suite of the pinned onnx (requirements.txt) against dnncc, one CTest test
# per target (include()d from tests/CMakeLists.txt), label 'conformance':
#   conformance.x86-64   run_suite.py over node, simple, pytorch-converted and pytorch-operator
#                        with tests/conformance/xfail-x86-64.txt: fails when a case not on the list
#                        fails (a regression) or a case on the list passes (remove it from the list)
#   conformance.rk3399   the same for aarch64 under qemu-user (dnncc-run runs dnncc-exec), with
#                        xfail-rk3399.txt, over --subset op-types: one case per distinct set of op
#                        types and input element types (629 of 2,024 cases, every op and input
#                        type of the suite); it also fails when rk3399 passes more than 2
#                        percentage points fewer of those cases than x86-64 does
#                        (--parity xfail-x86-64.txt)
#   conformance.rk3399.full  the whole suite for rk3399, labels 'conformance;full': the default
#                        test preset leaves label 'full' out (two targets' whole suites do not fit
#                        the 30-minute CI budget on two cores); run it with
#                        ctest --preset full   (about 15 minutes)
#   conformance.x86-64-opencl  OpenCL kernels on PoCL (OpenCL on the CPU), --subset op-types, with
#                        xfail-x86-64-opencl.txt; labels 'conformance;full;opencl' (PoCL builds
#                        every kernel's OpenCL program when it first runs: several seconds a case)
# The test data comes from the onnx package in .venv (no network); compiles are cached in
# build/conformance-cache/<target>, so a rerun after a small change only recompiles what changed
# (a new dnncc binary recompiles everything: about ten minutes on two cores).
# Refresh the lists after checking the failures:
#   .venv/bin/python tests/conformance/run_suite.py --target x86-64 --update-xfail \
#       --report-ops docs/operators.md
#   .venv/bin/python tests/conformance/run_suite.py --target rk3399 --update-xfail
get_filename_component(DNNCC_CONFORMANCE_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
# DNNCC_TEST_PYTHON is set in tests/CMakeLists.txt.

# dnncc_conformance_test(NAME TARGET SUBSET LABELS): one run_suite.py run as a CTest test.
function(dnncc_conformance_test name target subset labels)
  set(parity)
  if(target STREQUAL "rk3399") # issue 4: ARM within 2 percentage points of x86-64
    set(parity --parity ${CMAKE_CURRENT_LIST_DIR}/xfail-x86-64.txt)
  endif()
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
                   ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_suite.py
                   --target=${target} --dnncc $<TARGET_FILE:dnncc>
                   --dnncc-run $<TARGET_FILE:dnncc-run> --jobs 2
                   --cache ${CMAKE_BINARY_DIR}/conformance-cache/${target}
                   --data ${CMAKE_BINARY_DIR}/conformance-data/onnx
                   --xfail ${CMAKE_CURRENT_LIST_DIR}/xfail-${target}.txt ${parity}
                   --subset ${subset})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 2400)
endfunction()

dnncc_conformance_test(conformance.x86-64 x86-64 all conformance)
dnncc_conformance_test(conformance.rk3399 rk3399 op-types conformance)
dnncc_conformance_test(conformance.rk3399.full rk3399 all "conformance;full")
dnncc_conformance_test(conformance.x86-64-opencl x86-64-opencl op-types "conformance;full;opencl")
