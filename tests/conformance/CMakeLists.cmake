# The ONNX backend test suite of the pinned onnx (requirements.txt) against dnncc, one CTest test
# per target (include()d from tests/CMakeLists.txt), label 'conformance':
#   conformance.x86-64   run_suite.py over node, simple, pytorch-converted and pytorch-operator
#                        with tests/conformance/xfail-x86-64.txt: fails when a case not on the list
#                        fails (a regression) or a case on the list passes (remove it from the list)
#   conformance.rk3399   the same for aarch64 under qemu-user (dnncc-run runs dnncc-exec), with
#                        xfail-rk3399.txt; it also fails when rk3399 passes more than 2 percentage
#                        points fewer cases than x86-64 (--parity xfail-x86-64.txt)
# The test data comes from the onnx package in .venv (no network); compiles are cached in
# build/conformance-cache/<target>, so a rerun after a small change only recompiles what changed
# (a new dnncc binary recompiles everything: about ten minutes on two cores).
# Refresh the lists after checking the failures:
#   .venv/bin/python tests/conformance/run_suite.py --target x86-64 --update-xfail \
#       --report-ops docs/operators.md
#   .venv/bin/python tests/conformance/run_suite.py --target rk3399 --update-xfail
get_filename_component(DNNCC_CONFORMANCE_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
# DNNCC_TEST_PYTHON is set in tests/CMakeLists.txt.

foreach(target x86-64 rk3399)
  set(parity)
  if(NOT target STREQUAL "x86-64")
    set(parity --parity ${CMAKE_CURRENT_LIST_DIR}/xfail-x86-64.txt)
  endif()
  add_test(NAME conformance.${target}
           COMMAND ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
                   ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_suite.py
                   --target=${target} --dnncc $<TARGET_FILE:dnncc>
                   --dnncc-run $<TARGET_FILE:dnncc-run> --jobs 2
                   --cache ${CMAKE_BINARY_DIR}/conformance-cache/${target}
                   --data ${CMAKE_BINARY_DIR}/conformance-data/onnx
                   --xfail ${CMAKE_CURRENT_LIST_DIR}/xfail-${target}.txt ${parity})
  set_tests_properties(conformance.${target} PROPERTIES LABELS conformance TIMEOUT 1800)
endforeach()
