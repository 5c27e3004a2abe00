# End-to-end model tests (include()d from tests/CMakeLists.txt), all through model_tests.py:
#   models.zoo.<name>        compile models/zoo/<name> for x86-64, dnncc-run against its test data
#                            (rtol 1e-3, atol 1e-4); label 'zoo'. A missing zoo fails with a hint
#                            to run models/export_zoo.py.
#   models.tinynet.<target>  the same for models/tinynet (default tolerances) on x86-64 and host
#   models.classify_example  examples/classify built against the generated header, top-1 = reference
#   models.two_models        tinynet as net_a and net_b in one process (tests/models/two_models.c)
#   models.emit.<kind>       --emit=obj|asm|llvm|ir produce the right kind of file
#   models.exports           nm -D of a model library shows only <prefix>_* symbols
get_filename_component(DNNCC_MODELS_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(DNNCC_MODELS_BIN ${CMAKE_CURRENT_BINARY_DIR}/models)
if(NOT DEFINED DNNCC_TEST_PYTHON)
  if(EXISTS ${DNNCC_MODELS_REPO}/.venv/bin/python)
    set(DNNCC_TEST_PYTHON ${DNNCC_MODELS_REPO}/.venv/bin/python)
  else()
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
    set(DNNCC_TEST_PYTHON ${Python3_EXECUTABLE})
  endif()
endif()

set(DNNCC_MODEL_TEST ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
    ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/model_tests.py --dnncc $<TARGET_FILE:dnncc>
    --dnncc-run $<TARGET_FILE:dnncc-run> --cc ${CMAKE_C_COMPILER} --repo ${DNNCC_MODELS_REPO})

# The zoo's model names come from models/zoo.json (the zoo itself is generated, not configured).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${DNNCC_MODELS_REPO}/models/zoo.json)
file(READ ${DNNCC_MODELS_REPO}/models/zoo.json zoo_json)
string(JSON zoo_count LENGTH "${zoo_json}" models)
math(EXPR zoo_last "${zoo_count} - 1")
foreach(i RANGE ${zoo_last})
  string(JSON name GET "${zoo_json}" models ${i} name)
  add_test(NAME models.zoo.${name}
           COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 compile-run
                   ${DNNCC_MODELS_REPO}/models/zoo/${name} ${DNNCC_MODELS_BIN}/zoo/lib${name}.so
                   --rtol 1e-3 --atol 1e-4)
  set_tests_properties(models.zoo.${name} PROPERTIES LABELS "zoo;models" TIMEOUT 300)
endforeach()

foreach(target x86-64 host)
  add_test(NAME models.tinynet.${target}
           COMMAND ${DNNCC_MODEL_TEST} --target=${target} compile-run
                   ${DNNCC_MODELS_REPO}/models/tinynet
                   ${DNNCC_MODELS_BIN}/tinynet-${target}/libtinynet.so --rtol 1e-3 --atol 1e-5)
  set_tests_properties(models.tinynet.${target} PROPERTIES LABELS models TIMEOUT 120)
endforeach()

add_test(NAME models.classify_example
         COMMAND ${DNNCC_MODEL_TEST} classify ${DNNCC_MODELS_BIN}/classify)
add_test(NAME models.two_models
         COMMAND ${DNNCC_MODEL_TEST} two-models ${DNNCC_MODELS_BIN}/two_models)
add_test(NAME models.exports COMMAND ${DNNCC_MODEL_TEST} exports ${DNNCC_MODELS_BIN}/exports)
set(model_tests models.classify_example models.two_models models.exports)
foreach(kind obj asm llvm ir)
  add_test(NAME models.emit.${kind}
           COMMAND ${DNNCC_MODEL_TEST} emit ${kind} ${DNNCC_MODELS_BIN}/emit-${kind})
  list(APPEND model_tests models.emit.${kind})
endforeach()
set_tests_properties(${model_tests} PROPERTIES LABELS models TIMEOUT 120)

# Without the generated zoo a zoo test fails (not skips) and says how to generate it.
add_test(NAME models.zoo_missing_says_how_to_export
         COMMAND ${DNNCC_MODEL_TEST} compile-run ${DNNCC_MODELS_BIN}/no_such_zoo/zoo/m
                 ${DNNCC_MODELS_BIN}/no_such_zoo/libm.so)
set_tests_properties(models.zoo_missing_says_how_to_export PROPERTIES LABELS models TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "FAIL: .*is missing: run .*models/export_zoo.py")
